// Evaluate XPath expressions with Enketo's openrosa-xpath-evaluator under jsdom.
// stdin: JSON list of {expr, xml, context, now}; stdout: JSON list of {t, v} or {t: "error", v: message}.
const { JSDOM } = require('jsdom');

const dom = new JSDOM('');
for (const name of ['XPathEvaluator', 'XPathResult', 'DOMParser', 'Node', 'Element', 'Document', 'XPathExpression']) {
    global[name] = dom.window[name];
}
global.window = dom.window;
global.document = dom.window.document;

const OpenRosaXPath = require('openrosa-xpath-evaluator');
const evaluator = OpenRosaXPath();

const nsResolver = {
    lookupNamespaceURI: (prefix) => ({ jr: 'http://openrosa.org/javarosa' })[prefix] || null,
};

function run(item) {
    const doc = new DOMParser().parseFromString(item.xml, 'application/xml');
    let node = doc;
    if (item.context) {
        node = evaluator.evaluate(item.context, doc, nsResolver, XPathResult.FIRST_ORDERED_NODE_TYPE).singleNodeValue;
    }
    const r = evaluator.evaluate(item.expr, node, nsResolver, XPathResult.ANY_TYPE);
    switch (r.resultType) {
        case XPathResult.NUMBER_TYPE: {
            const v = r.numberValue;
            return { t: 'number', v: Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v };
        }
        case XPathResult.STRING_TYPE:
            return { t: 'string', v: r.stringValue };
        case XPathResult.BOOLEAN_TYPE:
            return { t: 'boolean', v: r.booleanValue };
        default: {
            const s = evaluator.evaluate(item.expr, node, nsResolver, XPathResult.STRING_TYPE);
            return { t: 'nodes', v: s.stringValue };
        }
    }
}

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
    const items = JSON.parse(input);
    const out = items.map((item) => {
        try {
            return run(item);
        } catch (e) {
            return { t: 'error', v: String(e && e.message ? e.message : e) };
        }
    });
    process.stdout.write(JSON.stringify(out));
});
