/* baicun entry screen: keyboard-first typing of paper questionnaires.
 *
 * All logic of the form (skips, constraints, required, calculations, choice filters,
 * repeat counts) is evaluated on the server by the toolkit's expression engine: this
 * script sends the answers to /api/forms/<form>/check as the clerk types and shows what
 * the reply says (hides and clears skipped questions, shows messages). It decides
 * nothing itself; the save is checked again on the server.
 *
 * Typing ahead: Enter/Tab move the cursor at once, client-side, while the verdicts arrive
 * asynchronously. Only when the way to the next field passes a question a rule may hide
 * (data-conditional) or a counted repeat (data-counted) while a verdict is outstanding
 * does the move wait for it; the keys typed meanwhile are held and replayed, in order,
 * in the field the cursor lands in. Replies are tagged with a sequence number and the
 * count of edits at the time of the request: a reply for an older state of the record is
 * ignored (see docs/entry.md, "Typing ahead").
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang.indexOf("en") === 0 ? "en" : "zh";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function say(m) {
    if (!m) return "";
    if (typeof m === "string") return m;
    return m[lang] || m.zh || m.en || "";
  }

  // ------------------------------------------------------------------ resolve page
  var resolveForm = document.getElementById("resolve");
  if (resolveForm) {
    resolveForm.addEventListener("input", function (ev) {
      if (ev.target.classList.contains("other")) {
        var row = ev.target.closest("tr");
        var radio = row.querySelector('input[type="radio"][value="other"]');
        if (radio) radio.checked = true;
      }
    });
  }

  var form = document.getElementById("entry");
  if (!form) return;

  var NAVIGABLE = "input.answer, textarea.answer, button.add-row, button.save";
  var banner = form.querySelector(".banner.error");
  var stateLine = form.querySelector(".actions .state");
  var showRequired = false;
  var dirty = false;
  var saving = false;

  function showBanner(text) {
    banner.textContent = text;
    banner.hidden = !text;
  }

  // ------------------------------------------------------------------ choices
  var choiceLabels = {};
  Array.prototype.forEach.call(form.querySelectorAll("ol.choices[data-for]"), function (ol) {
    var map = choiceLabels[ol.getAttribute("data-for")] || (choiceLabels[ol.getAttribute("data-for")] = {});
    Array.prototype.forEach.call(ol.querySelectorAll("li[data-code]"), function (li) {
      map[li.getAttribute("data-code")] = li.getAttribute("data-label");
    });
  });

  function codesOf(text) {
    return text.normalize("NFKC").split(/[\s,;、，；]+/).filter(function (c) { return c; });
  }

  function updatePicked(input) {
    var shown = input.parentNode.querySelector(".picked");
    if (!shown) return;
    var map = choiceLabels[input.getAttribute("data-name")] || {};
    shown.textContent = codesOf(input.value).map(function (c) {
      return map.hasOwnProperty(c) ? map[c] : "?";
    }).join("、");
  }

  // ------------------------------------------------------------------ answers
  function rowsOf(block) {
    var body = block.querySelector(":scope > table > tbody.rows");
    return Array.prototype.filter.call(body.children, function (r) { return r.classList.contains("row"); });
  }

  /* The answers on the page as {values, repeats}, and the elements of every path. */
  function serialise() {
    var fields = {};
    var groups = {};
    var texts = {};
    function record(node, prefix) {
      var rec = { values: {}, repeats: {} };
      walk(node, prefix, rec);
      return rec;
    }
    function walk(el, prefix, rec) {
      var kids = el.children;
      for (var i = 0; i < kids.length; i++) {
        var child = kids[i];
        if (child.tagName === "TEMPLATE") continue;
        if (child.classList.contains("repeat")) {
          var name = child.getAttribute("data-repeat");
          groups[prefix + name] = child;
          rec.repeats[name] = rowsOf(child).map(function (row, index) {
            var idx = row.querySelector(":scope > td.idx");
            if (idx) idx.textContent = String(index + 1);
            return record(row, prefix + name + "[" + (index + 1) + "]/");
          });
          continue;
        }
        if (child.matches("fieldset.section")) groups[prefix + child.getAttribute("data-group")] = child;
        if (child.matches(".field[data-field]")) fields[prefix + child.getAttribute("data-field")] = child;
        if (child.classList.contains("answer")) {
          rec.values[child.getAttribute("data-name")] = child.value;
          texts[prefix + child.getAttribute("data-name")] = child.value;
          continue;
        }
        walk(child, prefix, rec);
      }
    }
    return { answers: record(form, ""), fields: fields, groups: groups, texts: texts };
  }

  // ------------------------------------------------------------------ server
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, body: data || {} };
      });
    });
  }

  var timer = null;
  var started = 0;     // sequence number of the last check sent
  var answered = 0;    // sequence number of the last check answered (or failed)
  var shown = 0;       // sequence number of the last reply shown
  var edits = 0;       // changes of the answers so far
  var pending = null;

  function scheduleCheck() {
    edits++;
    clearTimeout(timer);
    timer = setTimeout(checkNow, 200);
  }

  /* Ask the server to evaluate the answers; resolves once the reply is shown. */
  function checkNow() {
    clearTimeout(timer);
    timer = null;
    var mine = ++started;
    var state = edits;
    var snap = serialise();
    pending = post(form.getAttribute("data-check-url"), { answers: snap.answers }).then(function (reply) {
      if (mine < shown) return;  // a newer reply is already shown
      if (mine === started) answered = mine;
      if (reply.status === 200) {
        shown = mine;
        // A reply for an older state of the answers (typed on since) only marks: it
        // hides, clears, adds or removes nothing, and leaves the fields changed since.
        apply(reply.body, snap, mine !== started || state !== edits);
      } else if (reply.status === 401) {
        showBanner(say({ zh: "登录已过期：请在新标签页重新登录，然后回到这里保存。", en: "Your session expired: log in again in a new tab, then come back and save." }));
      } else if (reply.body.error) {
        showBanner(say(reply.body.error.message));
      }
    }).catch(function () {
      if (mine === started) answered = mine;
      showBanner(say({ zh: "连不上录入服务器。", en: "Cannot reach the entry server." }));
    });
    return pending;
  }

  function settle() {
    if (timer) return checkNow();
    return pending || Promise.resolve();
  }

  /* True when the verdicts shown are those of the answers on the page. */
  function upToDate() {
    return !timer && answered === started;
  }

  function skip(el, skipped) {
    el.classList.toggle("skipped", skipped);
  }

  /* Show a reply of the server: skips, messages, calculations, choice filters, row counts. */
  function apply(state, snap, stale) {
    var changedRows = false;
    Object.keys(stale ? {} : state.counts || {}).forEach(function (path) {
      var block = snap.groups[path];
      var count = state.counts[path];
      if (!block || count === null || count === undefined) return;
      var rows = rowsOf(block);
      for (var n = rows.length; n < count; n++) { addRow(block, false); changedRows = true; }
      // Rows beyond the count are removed only while nothing was typed in them; rows
      // with answers are kept and marked until the clerk confirms (never while typing).
      for (var m = rows.length - 1; m >= count && blank(block, rows[m]); m--) {
        rows[m].remove();
        changedRows = true;
      }
      markExtra(block, count);
    });
    Object.keys(snap.fields).forEach(function (path) {
      var el = snap.fields[path];
      var st = state.fields ? state.fields[path] : null;
      if (!st) return;
      var input = el.querySelector(".answer");
      if (stale && (!el.isConnected || (input && input.value !== snap.texts[path]))) return;
      if (!stale) skip(el, !st.relevant);
      if (!stale && !st.relevant && input && input.value !== "") {
        input.value = "";
        updatePicked(input);
      }
      var out = el.querySelector("output.calc");
      if (out && st.value !== undefined && st.value !== null) out.textContent = st.value;
      if (st.choices) {
        Array.prototype.forEach.call(el.querySelectorAll("ol.choices li[data-code]"), function (li) {
          li.hidden = st.choices.indexOf(li.getAttribute("data-code")) < 0;
        });
      }
      var text = "";
      // A field is flagged once the clerk has been in it (or has tried to save): a default
      // is not flagged before the answers it depends on are typed.
      var reached = showRequired || el.classList.contains("touched");
      if (st.error && st.relevant && reached && (st.problem !== "required" || showRequired)) {
        text = say(st.error);
      }
      var msg = el.querySelector(".msg");
      if (msg) msg.textContent = text;
      el.classList.toggle("bad", !!text);
    });
    Object.keys(state.labels || {}).forEach(function (path) {
      var target = snap.fields[path] || snap.groups[path];
      var head = target && target.querySelector(":scope > .q, :scope > legend, :scope > .repeat-title");
      if (!head) return;
      var text = state.labels[path];
      var span = head.querySelector(":scope > .label");
      if (span) span.textContent = say(text);
      var alt = head.querySelector(":scope > .alt");  // the label in the other language
      if (alt) alt.textContent = text[lang === "zh" ? "en" : "zh"] || "";
    });
    Object.keys(state.hints || {}).forEach(function (path) {
      var target = snap.fields[path];
      var hint = target && target.querySelector(":scope > .q > .hint");
      if (hint) hint.textContent = say(state.hints[path]);
    });
    // Column heads of repeat tables: "<block path>/<question>".
    Object.keys(state.heads || {}).forEach(function (path) {
      var cut = path.lastIndexOf("/");
      var block = snap.groups[path.slice(0, cut)];
      var th = block && block.querySelector(':scope > table > thead th[data-head="' + path.slice(cut + 1) + '"]');
      if (!th) return;
      var texts = state.heads[path];
      var span = th.querySelector(":scope > .label");
      if (span && texts.label) span.textContent = say(texts.label);
      var alt = th.querySelector(":scope > .alt");
      if (alt && texts.label) alt.textContent = texts.label[lang === "zh" ? "en" : "zh"] || "";
      var hint = th.querySelector(":scope > .hint");
      if (hint && texts.hint) hint.textContent = say(texts.hint);
    });
    Object.keys(stale ? {} : snap.groups).forEach(function (path) {
      if (state.groups && Object.prototype.hasOwnProperty.call(state.groups, path)) {
        skip(snap.groups[path], !state.groups[path]);
      }
    });
    if (stale) return;
    var active = document.activeElement;
    if (active && active.classList && active.classList.contains("answer") && !visible(active)) {
      move(active, 1, false);
    }
    if (changedRows) scheduleCheck();
  }

  /* True when no answer of `row` differs from the empty row of its repeat. */
  function blank(block, row) {
    var template = block.querySelector(":scope > template.row-template").content;
    return Array.prototype.every.call(row.querySelectorAll(".answer"), function (input) {
      var fresh = template.querySelector('.answer[data-name="' + input.getAttribute("data-name") + '"]');
      return input.value === (fresh ? fresh.value : "");
    });
  }

  /* Mark the rows of `block` beyond `count` and show the note and button removing them. */
  function markExtra(block, count) {
    var rows = rowsOf(block);
    rows.forEach(function (row, index) { row.classList.toggle("extra", index >= count); });
    var note = block.querySelector(":scope > .surplus");
    if (!note) return;
    note.hidden = rows.length <= count;
    if (note.hidden) return;
    var first = count + 1;
    var span = first === rows.length ? String(first) : first + "–" + rows.length;
    note.querySelector(".text").textContent = say({
      zh: "第 " + span + " 行超出应有的 " + count + " 行：核对后按按钮删除（或改正行数所依据的答案）。",
      en: "Row " + span + " is beyond the " + count + " rows expected: check, then remove with the button (or correct the answer giving the count)."
    });
  }

  function dropExtra(block) {
    var note = block.querySelector(":scope > .surplus");
    var extra = rowsOf(block).filter(function (row) { return row.classList.contains("extra"); });
    extra.forEach(function (row) { row.remove(); });
    if (note) note.hidden = true;
    dirty = true;
    serialise();
    var rest = rowsOf(block);
    focusOn(rest.length ? rest[rest.length - 1].querySelector("input.answer") : null);
    scheduleCheck();
  }

  // ------------------------------------------------------------------ keyboard
  function visible(el) {
    return !!el.offsetParent && !el.closest(".skipped") && !el.disabled && !el.readOnly;
  }

  function focusables() {
    return Array.prototype.filter.call(form.querySelectorAll(NAVIGABLE), visible);
  }

  function focusOn(el) {
    if (!el) return;
    el.focus();
    if (el.select && el.tagName === "INPUT") el.select();
  }

  function move(from, step, wait) {
    var go = function () {
      var list = focusables();
      var at = list.indexOf(from);
      if (at < 0) {
        // `from` was hidden by a skip: go to the first visible field after it.
        var all = Array.prototype.slice.call(form.querySelectorAll(NAVIGABLE));
        var pos = all.indexOf(from);
        for (var i = 0; i < list.length; i++) {
          if (all.indexOf(list[i]) > pos) { focusOn(list[i]); return; }
        }
        return;
      }
      focusOn(list[Math.min(Math.max(at + step, 0), list.length - 1)]);
    };
    if (wait === false) { go(); return Promise.resolve(); }
    return settle().then(go);
  }

  function addRow(block, focus) {
    var template = block.querySelector(":scope > template.row-template");
    var row = template.content.firstElementChild.cloneNode(true);
    block.querySelector(":scope > table > tbody.rows").appendChild(row);
    serialise();  // renumber
    if (focus) focusOn(row.querySelector("input.answer, textarea.answer"));
    dirty = true;
    scheduleCheck();
    return row;
  }

  function removeRow(row) {
    var block = row.closest(".repeat");
    var rows = rowsOf(block);
    var at = rows.indexOf(row);
    row.remove();
    dirty = true;
    serialise();
    var rest = rowsOf(block);
    var target = rest[Math.min(at, rest.length - 1)];
    focusOn(target ? target.querySelector("input.answer") : block.querySelector("button.add-row"));
    scheduleCheck();
  }

  // ------------------------------------------------------------------ typing ahead
  var held = [];     // keys typed while a move waits for a verdict, replayed in order
  var waiting = 0;   // moves waiting for a verdict

  /* True when a move from `from` by `step` may land elsewhere once the outstanding
   * verdict is in: a question on the way (or the target) that a rule may hide, or a
   * counted repeat whose rows the verdict may add. */
  function mayShift(from, step) {
    if (upToDate()) return false;
    var all = Array.prototype.slice.call(form.querySelectorAll(NAVIGABLE + ", .repeat[data-counted]"));
    for (var i = all.indexOf(from) + step; i >= 0 && i < all.length; i += step) {
      var el = all[i];
      if (el.matches(".repeat")) return true;
      if (el.closest("[data-conditional]")) return true;
      if (visible(el)) return false;
    }
    return false;
  }

  /* Move the cursor: at once, or after the verdict when it may change the target. */
  function navigate(from, step) {
    if (timer) checkNow();  // the answer is complete: check it now, not after the pause
    if (!mayShift(from, step)) { move(from, step, false); return; }
    waiting++;
    // A verdict that never comes must not lock the keyboard: go on after 5 s.
    var late = new Promise(function (r) { setTimeout(r, 5000); });
    Promise.race([settle(), late]).then(function () {
      move(from, step, false);
    }).then(release, release);
  }

  function release() {
    waiting--;
    replay();
  }

  function insert(el, text) {
    if (!el || !el.classList || !el.classList.contains("answer") || el.readOnly) return;
    el.setRangeText(text, el.selectionStart, el.selectionEnd, "end");
    el.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
  }

  function erase(el, forward) {
    if (!el || !el.classList || !el.classList.contains("answer") || el.readOnly) return;
    var start = el.selectionStart, end = el.selectionEnd;
    if (start === end) {
      if (forward) end = Math.min(end + 1, el.value.length); else start = Math.max(start - 1, 0);
    }
    if (start === end) return;
    el.setRangeText("", start, end, "end");
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /* Apply the held keys to the focused field until one of them starts a waiting move. */
  function replay() {
    while (held.length && !waiting) {
      var k = held.shift();
      var el = document.activeElement;
      if (k.text !== undefined) { insert(el, k.text); continue; }
      if (k.ctrl) {
        if (k.key === "s" || k.key === "S") save();
        continue;
      }
      if (k.key === "Enter" || k.key === "Tab") {
        if (k.key === "Enter" && el && el.tagName === "TEXTAREA") insert(el, "\n");
        else if (el && el.matches && el.matches(".answer, .add-row") && (k.key === "Tab" || el.matches("input")))
          navigate(el, k.shift ? -1 : 1);
        else if (el && el.tagName === "BUTTON" && k.key === "Enter") el.click();
        continue;
      }
      if (k.key === "Backspace" || k.key === "Delete") { erase(el, k.key === "Delete"); continue; }
      if (Array.from(k.key).length === 1 && !k.alt) insert(el, k.key);
      // Other keys (arrows, Escape, ...) typed while the cursor was on its way are dropped.
    }
  }

  document.addEventListener("keydown", function (ev) {
    if (!waiting && !held.length) return;
    if (ev.key === "Shift" || ev.key === "Control" || ev.key === "Alt" || ev.key === "Meta" ||
        ev.key === "CapsLock" || ev.isComposing) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    held.push({ key: ev.key, shift: ev.shiftKey, ctrl: ev.ctrlKey || ev.metaKey, alt: ev.altKey });
  }, true);

  // Text that comes without a key press of its own (input methods, pasted characters).
  document.addEventListener("beforeinput", function (ev) {
    if (!waiting && !held.length) return;
    if (ev.inputType !== "insertText" || !ev.data) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    held.push({ text: ev.data });
  }, true);

  form.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if ((ev.ctrlKey || ev.metaKey) && (ev.key === "s" || ev.key === "S")) {
      ev.preventDefault();
      save();
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Delete") {
      var row = t.closest && t.closest("tr.row");
      if (row && row.querySelector(":scope > td.tools .remove-row")) {
        ev.preventDefault();
        removeRow(row);
      }
      return;
    }
    if ((ev.key === "Enter" && t.matches("input.answer")) ||
        (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey && t.matches(".answer, .add-row"))) {
      ev.preventDefault();
      navigate(t, ev.shiftKey ? -1 : 1);
    }
  });

  function touch(input) {
    var field = input.closest(".field");
    if (field) field.classList.add("touched");
  }

  form.addEventListener("focusout", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("answer")) touch(ev.target);
  });

  form.addEventListener("input", function (ev) {
    if (ev.target.classList.contains("answer")) {
      touch(ev.target);
      dirty = true;
      updatePicked(ev.target);
      scheduleCheck();
      if (autoAdvance && ev.inputType && ev.inputType.indexOf("insert") === 0) advance(ev.target);
    }
  });

  // ------------------------------------------------------------------ auto-advance
  // With auto-advance on, an answer whose width the form fixes (data-width: a choice
  // code of a list whose codes all have that width, an integer bounded to 0..N) moves the
  // cursor on as soon as its last character is typed at the end of the field, as in
  // EpiData. A choice code not in the list, or a non-digit in an integer, stays put.
  var advanceBox = form.querySelector("#auto-advance");
  var advanceKey = "baicun-entry-advance:" + form.getAttribute("data-user") + ":" + form.getAttribute("data-form");
  var autoAdvance = form.getAttribute("data-advance") === "1";
  try {
    var remembered = window.localStorage.getItem(advanceKey);
    if (remembered !== null) autoAdvance = remembered === "1";
  } catch (e) { /* storage disabled: the form's setting */ }

  function setAdvance(on) {
    autoAdvance = on;
    if (advanceBox) advanceBox.checked = on;
    try { window.localStorage.setItem(advanceKey, on ? "1" : "0"); } catch (e) { /* not kept */ }
  }
  if (advanceBox) {
    advanceBox.checked = autoAdvance;
    advanceBox.addEventListener("change", function () { setAdvance(advanceBox.checked); });
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "F9") { ev.preventDefault(); setAdvance(!autoAdvance); }
  });

  function advance(input) {
    var width = parseInt(input.getAttribute("data-width") || "0", 10);
    if (!width || input.tagName !== "INPUT" || input.selectionEnd !== input.value.length) return;
    var value = input.value.normalize("NFKC").trim();
    if (value.length !== width) return;
    if (input.getAttribute("data-kind") === "select") {
      var map = choiceLabels[input.getAttribute("data-name")] || {};
      if (!map.hasOwnProperty(value)) return;
    } else if (!/^[0-9]+$/.test(value)) {
      return;
    }
    navigate(input, 1);
  }

  form.addEventListener("click", function (ev) {
    var add = ev.target.closest(".add-row");
    if (add) { ev.preventDefault(); addRow(add.closest(".repeat"), true); return; }
    var drop = ev.target.closest(".drop-extra");
    if (drop) { ev.preventDefault(); dropExtra(drop.closest(".repeat")); return; }
    var remove = ev.target.closest(".remove-row");
    if (remove) { ev.preventDefault(); removeRow(remove.closest("tr.row")); return; }
    var choice = ev.target.closest("ol.choices li[data-code]");
    if (choice) {
      var field = choice.closest(".field");
      var input = field && field.querySelector("input.answer");
      if (input) {
        var code = choice.getAttribute("data-code");
        if (input.getAttribute("data-kind") === "multi") {
          var codes = codesOf(input.value);
          var at = codes.indexOf(code);
          if (at >= 0) codes.splice(at, 1); else codes.push(code);
          input.value = codes.join(" ");
        } else {
          input.value = code;
        }
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
    }
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    save();
  });

  window.addEventListener("beforeunload", function (ev) {
    if (dirty && !saving) { ev.preventDefault(); ev.returnValue = ""; }
  });

  // ------------------------------------------------------------------ save
  function save() {
    if (saving) return Promise.resolve();
    saving = true;
    stateLine.textContent = say({ zh: "保存中…", en: "Saving…" });
    return settle().then(function () {
      var snap = serialise();
      var body = { answers: snap.answers };
      var version = form.getAttribute("data-version");
      if (version) body.version = parseInt(version, 10);
      else body.submission = form.getAttribute("data-submission");
      // A lost reply is retried with the same submission id / version: the server
      // recognises the repeat and never stores the questionnaire twice.
      var attempt = function (left) {
        return post(form.getAttribute("data-save-url"), body).catch(function (err) {
          if (left <= 0) throw err;
          return new Promise(function (r) { setTimeout(r, 1000); }).then(function () { return attempt(left - 1); });
        });
      };
      return attempt(3).then(function (reply) {
        if (reply.status === 200) {
          dirty = false;
          stateLine.textContent = say({ zh: "已保存", en: "Saved" });
          window.location.assign(reply.body.next);
          return;
        }
        saving = false;
        stateLine.textContent = "";
        if (reply.status === 422 && reply.body.fields) {
          showRequired = true;
          apply(reply.body, snap);
          // Problems of answers with no visible field (e.g. a calculated key) go in the banner.
          var unseen = Object.keys(reply.body.fields).filter(function (path) {
            var st = reply.body.fields[path];
            var el = snap.fields[path];
            return st.error && st.relevant && (!el || !el.querySelector(".msg") || !visible(el));
          }).map(function (path) { return path + ": " + say(reply.body.fields[path].error); });
          showBanner([say(reply.body.error && reply.body.error.message)].concat(unseen).join(" "));
          var bad = form.querySelector(".bad .answer");
          focusOn(bad || form.querySelector(".surplus:not([hidden]) .drop-extra"));
          return;
        }
        var err = reply.body.error || {};
        var text = say(err.message) ||
          say({ zh: "服务器出错（HTTP " + reply.status + "）。", en: "Server error (HTTP " + reply.status + ")." });
        if (err.hint && say(err.hint)) text += " " + say(err.hint);
        if (err.code) text += " (" + err.code + ")";
        if (reply.status === 401) text = say({ zh: "登录已过期：请在新标签页重新登录，然后回到这里保存。", en: "Your session expired: log in again in a new tab, then come back and save." });
        showBanner(text);
      });
    }).catch(function () {
      saving = false;
      stateLine.textContent = "";
      showBanner(say({ zh: "网络错误：未能确认保存，请再按一次保存。", en: "Network error: the save was not confirmed; press Save again." }));
    });
  }

  // ------------------------------------------------------------------ start
  Array.prototype.forEach.call(form.querySelectorAll("input.answer"), updatePicked);
  checkNow().then(function () {
    if (!document.activeElement || document.activeElement === document.body) {
      focusOn(focusables()[0]);
    }
  });
})();
