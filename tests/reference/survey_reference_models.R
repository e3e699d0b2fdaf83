# Reference values for baicun's tables, weighting, models, scales and waves, from R's survey package.
#
# Run from the repository root (after survey_reference.R, whose CSV files it reads):
#     Rscript tests/reference/survey_reference_models.R
# It writes, next to this script:
#   village_waves.csv                 synthetic two-wave village/household panel (seeded)
#   survey_reference_models.json      every case: design, call, R's results, R/survey versions
# The tests (tests/test_tables.py, test_weighting.py, test_models.py, test_scales.py,
# test_waves.py) only read the committed CSV and JSON files; CI needs no R. Every
# number is compared at relative tolerance 1e-9 (none is relaxed).
#
# What is computed (R function -> baicun function):
#   svychisq(statistic = "F" / "Chisq")             analysis.tables.chisq_test / crosstab
#   svyby(~col, ~row, svymean / svytotal)           crosstab row/column shares and counts
#   postStratify, rake, calibrate, trimWeights      analysis.weighting.*
#   weights as design weights after a weighting-class nonresponse adjustment
#                                                   analysis.weighting.adjust_nonresponse
#   svyglm(gaussian / quasibinomial / quasipoisson) analysis.models.glm
#   svycralpha                                      analysis.scales.cronbach_alpha
#   two-wave change: svyratio(covmat = TRUE) + svycontrast on the stacked waves
#                                                   analysis.waves.change / change_independent

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
        survey.ultimate.cluster = FALSE)

read_data <- function(name) {
  back <- read.csv(file.path(out_dir, name), check.names = FALSE, na.strings = "",
                   encoding = "UTF-8", stringsAsFactors = FALSE)
  for (v in names(back)) if (is.character(back[[v]])) back[[v]] <- enc2utf8(back[[v]])
  back
}
write_data <- function(df, name) {
  df <- as.data.frame(df)
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", fileEncoding = "UTF-8")
  read_data(name)  # compute from the file as written (15 significant digits)
}

# ------------------------------------------------------------------ two-wave panel data
# Counties (strata), villages drawn within counties; the 2025 wave revisits most 2024
# villages (the panel: same county + village label) and replaces one per county.
# Households are drawn afresh in each wave. Village effects persist across waves, so
# panel estimates are positively correlated.
make_waves <- function(seed) {
  set.seed(seed)
  counties <- c("临夏县", "和政县", "广河县", "康乐县")
  N_v <- c(40, 25, 32, 18)
  n_v <- c(5, 4, 4, 3)
  out <- list()
  for (k in seq_along(counties)) {
    first <- sort(sample(seq_len(N_v[k]), n_v[k]))
    fresh <- sample(setdiff(seq_len(N_v[k]), first), 1)
    second <- sort(c(first[-1], fresh))
    v_eff <- matrix(rnorm(N_v[k] * 4, 0, 0.5), ncol = 4)
    room <- rbinom(N_v[k], 1, 0.5)
    for (wave in c("2024", "2025")) {
      villages <- if (wave == "2024") first else second
      for (v in villages) {
        m <- sample(6:10, 1)
        N_h <- sample(80:300, 1)
        later <- wave == "2025"
        has_room <- if (later) max(room[v], rbinom(1, 1, 0.3)) else room[v]
        hh <- data.frame(
          wave = wave, county = counties[k], village = sprintf("村%02d", v),
          village_uid = sprintf("%s-村%02d", counties[k], v), hh = seq_len(m),
          N_v = N_v[k], n_v = n_v[k], N_h = N_h, m_h = m,
          stringsAsFactors = FALSE
        )
        hh$w <- (N_v[k] / n_v[k]) * (N_h / m) * runif(m, 0.85, 1.15)
        hh$age <- sample(25:75, m, replace = TRUE)
        hh$income <- round(exp(rnorm(m, 9.6 + v_eff[v, 1] + 0.08 * later, 0.5)), -1)
        hh$tv <- rbinom(m, 1, plogis(0.8 + v_eff[v, 2] + 0.4 * later))
        hh$broadband <- ifelse(rbinom(m, 1, plogis(-0.2 + v_eff[v, 3] + 0.5 * later)) == 1,
                               "有", "无")
        hh$participation <- sample(c("从不", "很少", "有时", "经常"), m, replace = TRUE,
                                   prob = c(.3, .3, .25, .15))
        hh$has_culture_room <- has_room
        hh$joined <- rbinom(m, 1, plogis(-1 + 0.9 * has_room + 0.02 * (hh$age - 50) +
                                           v_eff[v, 4]))
        latent <- rnorm(m, v_eff[v, 4], 1)
        item <- function(shift) pmin(5, pmax(1, round(3 + latent + shift + rnorm(m, 0, 0.8))))
        hh$q1 <- item(0.2)
        hh$q2 <- item(0)
        hh$q3 <- item(-0.3)
        hh$q4 <- item(0.1)
        hh$q5_r <- 6 - item(0)
        hh$q3[runif(m) < 0.08] <- NA
        out[[length(out) + 1]] <- hh
      }
    }
  }
  df <- do.call(rbind, out)
  df$stratum_wave <- paste(df$wave, df$county, sep = ":")
  df$psu_wave <- paste(df$wave, df$village_uid, sep = ":")
  rownames(df) <- NULL
  df
}

apistrat <- read_data("apistrat.csv")
apiclus1 <- read_data("apiclus1.csv")
apiclus2 <- read_data("apiclus2.csv")
vh <- read_data("village_households.csv")
vw <- write_data(make_waves(20240601), "village_waves.csv")
datasets <- list(apistrat = apistrat, apiclus1 = apiclus1, apiclus2 = apiclus2,
                 village_households = vh, village_waves = vw)
files <- c(apistrat = "apistrat.csv", apiclus1 = "apiclus1.csv", apiclus2 = "apiclus2.csv",
           village_households = "village_households.csv", village_waves = "village_waves.csv")

# ------------------------------------------------------------------ designs
fml <- function(v) as.formula(paste("~", paste(sprintf("`%s`", v), collapse = "+")))

design_spec <- function(weights = NULL, strata = NULL, psu = character(0), fpc = character(0),
                        nest = TRUE, lonely_psu = "fail") {
  list(weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
       lonely_psu = lonely_psu)
}

make_design <- function(data, spec) {
  svydesign(
    ids = if (length(spec$psu)) fml(spec$psu) else ~1,
    strata = if (is.null(spec$strata)) NULL else fml(spec$strata),
    weights = if (is.null(spec$weights)) NULL else fml(spec$weights),
    fpc = if (length(spec$fpc)) fml(spec$fpc) else NULL,
    nest = spec$nest, data = data
  )
}

S_strat <- design_spec(weights = "pw", strata = "stype", fpc = "fpc", nest = FALSE)
S_clus1 <- design_spec(weights = "pw", psu = "dnum", fpc = "fpc", nest = FALSE)
S_clus2 <- design_spec(psu = c("dnum", "snum"), fpc = c("fpc1", "fpc2"), nest = FALSE)
S_vh1 <- design_spec(weights = "w", strata = "county", psu = "village", nest = TRUE)
S_vh2 <- design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                     fpc = c("N_v", "N_h"), nest = TRUE)
S_panel <- design_spec(weights = "w", strata = "county", psu = "village", nest = TRUE)
S_indep <- design_spec(weights = "w", strata = "stratum_wave", psu = "psu_wave", nest = TRUE)

# Population tables of the survey package's examples (and apipop for crossed cells)
data(api)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop_compimp <- as.data.frame(table(comp.imp = apipop$comp.imp), stringsAsFactors = FALSE)
pop_type_schwide <- as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide),
                                  stringsAsFactors = FALSE)
table_json <- function(tab) {
  vars <- setdiff(names(tab), "Freq")
  list(variables = vars,
       levels = lapply(vars, function(v) as.character(tab[[v]])),
       counts = as.numeric(tab$Freq))
}

# Each calibration step is recorded so the tests can replay it.
calibrated <- function(des, steps) {
  for (s in steps) {
    if (s$method == "poststratify") {
      pop <- as.data.frame(setNames(s$table$levels, s$table$variables), stringsAsFactors = FALSE)
      pop$Freq <- s$table$counts
      des <- postStratify(des, fml(s$table$variables), pop, partial = isTRUE(s$partial))
    } else if (s$method == "rake") {
      pops <- lapply(s$margins, function(t) {
        pop <- as.data.frame(setNames(t$levels, t$variables), stringsAsFactors = FALSE)
        pop$Freq <- t$counts
        pop
      })
      des <- rake(des, lapply(s$margins, function(t) fml(t$variables)), pops,
                  control = list(maxit = s$max_iter, epsilon = s$epsilon))
    } else if (s$method == "calibrate") {
      pop <- setNames(s$totals, s$names_r)
      bounds <- if (is.null(s$bounds)) c(-Inf, Inf) else s$bounds
      des <- calibrate(des, as.formula(s$formula_r), pop, calfun = s$calfun, bounds = bounds)
    } else if (s$method == "trim") {
      des <- trimWeights(des, lower = if (is.null(s$lower)) -Inf else s$lower,
                         upper = if (is.null(s$upper)) Inf else s$upper,
                         strict = isTRUE(s$strict))
    } else stop("unknown step")
  }
  des
}

# ------------------------------------------------------------------ collected cases
chisq_cases <- list()
share_cases <- list()
weighting_cases <- list()
model_cases <- list()
alpha_cases <- list()
wave_cases <- list()

# ---- svychisq and the crosstab shares
add_chisq <- function(id, dataset, spec, row, col, steps = list(), where = NULL) {
  data <- datasets[[dataset]]
  des <- calibrated(make_design(data, spec), steps)
  if (!is.null(where)) des <- des[as.logical(data[[where]]), ]
  f <- as.formula(sprintf("~`%s`+`%s`", row, col))
  res <- list()
  for (st in c("F", "Chisq")) {
    t <- svychisq(f, des, statistic = st)
    res[[st]] <- list(statistic = unname(t$statistic), parameter = as.list(t$parameter),
                      p_value = unname(t$p.value))
  }
  # the Pearson statistic on the table scaled to the sample size, as svychisq computes it
  keep <- !is.na(des$variables[[row]]) & !is.na(des$variables[[col]])
  chisq_cases[[length(chisq_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, calibration = steps, row = row, col = col,
    where = where, F = res$F, Chisq = res$Chisq)
  # shares: svyby over the analysed rows (no missing row or column value)
  sub <- des[keep, ]
  shares <- list()
  for (kind in c("row", "col")) {
    dom <- if (kind == "row") row else col
    var <- if (kind == "row") col else row
    sub2 <- eval(bquote(update(sub, .v = factor(.(as.name(var))), .d = factor(.(as.name(dom))))))
    for (fun in c("mean", "total")) {
      b <- svyby(~.v, ~.d, sub2, if (fun == "mean") svymean else svytotal)
      est <- coef(b)
      se <- sqrt(diag(suppressWarnings(vcov(b))))  # aligned with coef(b)
      nm <- names(est)
      for (i in seq_along(est)) {
        parts <- strsplit(nm[i], ":", fixed = TRUE)[[1]]
        shares[[length(shares) + 1]] <- list(
          kind = if (fun == "mean") kind else paste0(kind, "_count"),
          domain = parts[1], level = sub("^\\.v", "", parts[2]),
          estimate = unname(est[i]), se = unname(se[i]))
      }
    }
  }
  share_cases[[length(share_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, calibration = steps, row = row, col = col,
    where = where, rows = shares)
}

add_chisq("strat_stype_schwide", "apistrat", S_strat, "stype", "sch.wide")
add_chisq("strat_awards_yrrnd", "apistrat", S_strat, "awards", "yr.rnd")
add_chisq("strat_stype_compimp", "apistrat", S_strat, "stype", "comp.imp")
add_chisq("clus1_schwide_compimp", "apiclus1", S_clus1, "sch.wide", "comp.imp")
add_chisq("clus1_stype_awards", "apiclus1", S_clus1, "stype", "awards")
add_chisq("clus2_stype_schwide", "apiclus2", S_clus2, "stype", "sch.wide")
add_chisq("vh1_participation_broadband", "village_households", S_vh1, "participation", "broadband")
add_chisq("vh1_ethnicity_participation", "village_households", S_vh1, "ethnicity", "participation")
add_chisq("vh1_ethnicity_broadband", "village_households", S_vh1, "ethnicity", "broadband")
add_chisq("vh2_broadband_ethnicity", "village_households", S_vh2, "broadband", "ethnicity")
add_chisq("vh1_female_ethnicity_broadband", "village_households", S_vh1, "ethnicity", "broadband",
          where = "head_female")
add_chisq("panel_participation_broadband", "village_waves", S_panel, "participation", "broadband")
ps_types <- list(list(method = "poststratify", table = table_json(pop_types)))
add_chisq("clus1_ps_schwide_compimp", "apiclus1", S_clus1, "sch.wide", "comp.imp",
          steps = ps_types)
add_chisq("clus1_ps_stype_awards", "apiclus1", S_clus1, "stype", "awards", steps = ps_types)

# ---- weighting: calibrated weights and estimates on the calibrated design
est_rows <- function(des, spec_list) {
  out <- list()
  for (e in spec_list) {
    f <- fml(e$variable)
    if (is.null(e$by)) {
      m <- if (e$estimator == "mean") svymean(f, des, na.rm = TRUE) else
        svytotal(f, des, na.rm = TRUE)
      nm <- names(coef(m))
      for (i in seq_along(nm)) {
        out[[length(out) + 1]] <- list(estimator = e$estimator, variable = e$variable,
                                       by = NULL, domain = NULL,
                                       level = sub(paste0("^", e$variable), "", nm[i]),
                                       estimate = unname(coef(m)[i]), se = unname(SE(m)[i]))
      }
    } else {
      b <- svyby(f, fml(e$by), des, if (e$estimator == "mean") svymean else svytotal,
                 na.rm = TRUE)
      nm <- names(coef(b))
      se <- sqrt(diag(suppressWarnings(vcov(b))))
      for (i in seq_along(nm)) {
        parts <- strsplit(nm[i], ":", fixed = TRUE)[[1]]
        out[[length(out) + 1]] <- list(
          estimator = e$estimator, variable = e$variable, by = e$by, domain = parts[1],
          level = if (length(parts) > 1) sub(paste0("^", e$variable), "", parts[2]) else "",
          estimate = unname(coef(b)[i]), se = unname(se[i]))
      }
    }
  }
  out
}

add_weighting <- function(id, dataset, spec, steps, estimates) {
  data <- datasets[[dataset]]
  warned <- NULL
  des <- withCallingHandlers(calibrated(make_design(data, spec), steps),
                             warning = function(w) {
                               warned <<- conditionMessage(w)
                               invokeRestart("muffleWarning")
                             })
  weighting_cases[[length(weighting_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, calibration = steps,
    warning = warned, weights = unname(weights(des)), estimates = est_rows(des, estimates),
    df = degf(des))
}

E_api <- list(list(estimator = "mean", variable = "api00"),
              list(estimator = "mean", variable = "enroll"),
              list(estimator = "total", variable = "enroll"),
              list(estimator = "mean", variable = "api00", by = "sch.wide"),
              list(estimator = "total", variable = "enroll", by = "comp.imp"),
              list(estimator = "mean", variable = "awards"),
              list(estimator = "mean", variable = "avg.ed"))
E_strat <- list(list(estimator = "mean", variable = "api00"),
                list(estimator = "total", variable = "enroll"),
                list(estimator = "mean", variable = "api00", by = "awards"),
                list(estimator = "mean", variable = "acs.k3"))
E_vh <- list(list(estimator = "mean", variable = "income"),
             list(estimator = "total", variable = "members"),
             list(estimator = "mean", variable = "income", by = "county"),
             list(estimator = "mean", variable = "participation"))

add_weighting("clus1_poststratify_stype", "apiclus1", S_clus1, ps_types, E_api)
add_weighting("clus1_poststratify_stype_schwide", "apiclus1", S_clus1,
              list(list(method = "poststratify", table = table_json(pop_type_schwide))), E_api)
add_weighting("strat_poststratify_schwide", "apistrat", S_strat,
              list(list(method = "poststratify", table = table_json(pop_schwide))), E_strat)
pop_eth <- data.frame(ethnicity = c("东乡族", "其他", "回族", "汉族"),
                      Freq = c(52000, 6100, 61000, 176000))
add_weighting("vh1_poststratify_ethnicity", "village_households", S_vh1,
              list(list(method = "poststratify", table = table_json(pop_eth))), E_vh)
add_weighting("vh2_poststratify_ethnicity", "village_households", S_vh2,
              list(list(method = "poststratify", table = table_json(pop_eth))), E_vh)

rake_api <- function(margins, max_iter = 10, epsilon = 1) {
  list(list(method = "rake", margins = lapply(margins, table_json), max_iter = max_iter,
            epsilon = epsilon))
}
add_weighting("clus1_rake_stype_schwide", "apiclus1", S_clus1,
              rake_api(list(pop_types, pop_schwide)), E_api)
add_weighting("clus1_rake_three_margins", "apiclus1", S_clus1,
              rake_api(list(pop_types, pop_schwide, pop_compimp), max_iter = 50,
                       epsilon = 1e-6), E_api)
add_weighting("clus1_rake_not_converged", "apiclus1", S_clus1,
              rake_api(list(pop_types, pop_schwide, pop_compimp), max_iter = 1,
                       epsilon = 1e-9), E_api)
add_weighting("strat_rake_schwide_compimp", "apistrat", S_strat,
              rake_api(list(pop_schwide, pop_compimp)), E_strat)
pop_bb <- data.frame(broadband = c("无", "有"), Freq = c(150000, 145100))
add_weighting("vh1_rake_ethnicity_broadband", "village_households", S_vh1,
              list(list(method = "rake", margins = list(table_json(pop_eth), table_json(pop_bb)),
                        max_iter = 30, epsilon = 0.01)), E_vh)
add_weighting("clus1_poststratify_then_rake", "apiclus1", S_clus1,
              c(ps_types, rake_api(list(pop_schwide, pop_compimp))), E_api)

cal_step <- function(formula_r, formula_py, names_r, names_py, totals, calfun = "linear",
                     bounds = NULL) {
  list(method = "calibrate", formula_r = formula_r, formula_py = formula_py, names_r = names_r,
       names_py = names_py, totals = totals, calfun = calfun, bounds = bounds)
}
cal_api <- cal_step("~stype+api99", "stype + api99",
                    c("(Intercept)", "stypeH", "stypeM", "api99"),
                    c("Intercept", "stype[T.H]", "stype[T.M]", "api99"),
                    c(6194, 755, 1018, 3914069))
add_weighting("clus1_calibrate_linear", "apiclus1", S_clus1, list(cal_api), E_api)
cal_bounded <- cal_api
cal_bounded$bounds <- c(0.5, 1.75)
add_weighting("clus1_calibrate_bounded", "apiclus1", S_clus1, list(cal_bounded), E_api)
cal_raking <- cal_step("~stype+sch.wide", "stype + Q('sch.wide')",
                       c("(Intercept)", "stypeH", "stypeM", "sch.wideYes"),
                       c("Intercept", "stype[T.H]", "stype[T.M]", "Q('sch.wide')[T.Yes]"),
                       c(6194, 755, 1018, 5122), calfun = "raking")
add_weighting("clus1_calibrate_raking", "apiclus1", S_clus1, list(cal_raking), E_api)
cal_strat <- cal_step("~sch.wide+api99", "Q('sch.wide') + api99",
                      c("(Intercept)", "sch.wideYes", "api99"),
                      c("Intercept", "Q('sch.wide')[T.Yes]", "api99"),
                      c(6194, 5122, 3914069))
add_weighting("strat_calibrate_linear", "apistrat", S_strat, list(cal_strat), E_strat)
cal_vh <- cal_step("~members", "members", c("(Intercept)", "members"),
                   c("Intercept", "members"), c(295100, 1180000))
add_weighting("vh2_calibrate_linear", "village_households", S_vh2, list(cal_vh), E_vh)

add_weighting("strat_trim_upper", "apistrat", S_strat,
              list(list(method = "trim", upper = 40)), E_strat)
add_weighting("clus1_calibrate_then_trim", "apiclus1", S_clus1,
              list(cal_api, list(method = "trim", lower = 20, upper = 45)), E_api)
add_weighting("clus1_calibrate_then_trim_strict", "apiclus1", S_clus1,
              list(cal_api, list(method = "trim", lower = 20, upper = 42, strict = TRUE)), E_api)

# weighting-class nonresponse adjustment: respondents carry the class's weight, the others 0
nr_data <- apiclus1
nr_data$responded <- nr_data$snum %% 7 != 0 & !(nr_data$snum %% 5 == 0 & nr_data$stype == "E")
class_total <- ave(nr_data$pw, nr_data$stype, FUN = sum)
class_resp <- ave(nr_data$pw * nr_data$responded, nr_data$stype, FUN = sum)
nr_data$w_adj <- ifelse(nr_data$responded, nr_data$pw * class_total / class_resp, 0)
for (v in c("api00", "enroll", "avg.ed", "awards")) nr_data[[v]][!nr_data$responded] <- NA
nr_des <- svydesign(ids = ~dnum, weights = ~w_adj, fpc = ~fpc, data = nr_data)
weighting_cases[[length(weighting_cases) + 1]] <- list(
  id = "clus1_nonresponse_stype", data = files[["apiclus1"]], design = S_clus1,
  calibration = list(list(method = "nonresponse", classes = "stype",
                          responded = as.logical(nr_data$responded))),
  warning = NULL, weights = unname(weights(nr_des)),
  estimates = est_rows(nr_des, E_api[c(1, 2, 3, 4, 5, 7)]),
  df = degf(nr_des))

# ---- svyglm
add_model <- function(id, dataset, spec, formula_r, formula_py, family, steps = list(),
                      where = NULL) {
  data <- datasets[[dataset]]
  # factor levels in code-point order, as Python sorts them (R's collation may differ)
  for (v in names(data)) {
    if (is.character(data[[v]])) data[[v]] <- factor(data[[v]], sort(unique(data[[v]]), method = "radix"))
  }
  des <- calibrated(make_design(data, spec), steps)
  if (!is.null(where)) des <- des[as.logical(data[[where]]), ]
  fam <- switch(family, gaussian = gaussian(), binomial = quasibinomial(),
                poisson = quasipoisson())
  m <- svyglm(as.formula(formula_r), design = des, family = fam)
  s <- summary(m)$coefficients
  ci <- confint(m)
  model_cases[[length(model_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, calibration = steps, where = where,
    formula_r = formula_r, formula = formula_py, family = family,
    df = m$df.residual, n = length(m$y), iterations = m$iter,
    coefficients = lapply(seq_len(nrow(s)), function(i) list(
      term_r = rownames(s)[i], estimate = s[i, 1], se = s[i, 2], t = s[i, 3],
      p_value = s[i, 4], ci_low = ci[i, 1], ci_high = ci[i, 2])))
}

vw$wave_2025 <- vw$wave == "2025"
datasets$village_waves <- vw
add_model("strat_linear", "apistrat", S_strat, "api00 ~ ell + meals + mobility",
          "api00 ~ ell + meals + mobility", "gaussian")
add_model("clus2_linear_factor", "apiclus2", S_clus2, "api00 ~ ell + meals + stype",
          "api00 ~ ell + meals + stype", "gaussian")
add_model("clus1_linear_na", "apiclus1", S_clus1, "api00 ~ avg.ed + meals",
          "api00 ~ Q('avg.ed') + meals", "gaussian")
add_model("strat_logistic", "apistrat", S_strat, "I(sch.wide == 'Yes') ~ ell + meals + mobility",
          "I(Q('sch.wide') == 'Yes') ~ ell + meals + mobility", "binomial")
add_model("clus1_logistic_factor", "apiclus1", S_clus1, "I(comp.imp == 'Yes') ~ api99 + stype",
          "I(Q('comp.imp') == 'Yes') ~ api99 + stype", "binomial")
add_model("clus1_calibrated_linear", "apiclus1", S_clus1, "api00 ~ ell + meals",
          "api00 ~ ell + meals", "gaussian", steps = list(cal_api))
add_model("clus1_raked_logistic", "apiclus1", S_clus1, "I(sch.wide == 'Yes') ~ meals",
          "I(Q('sch.wide') == 'Yes') ~ meals", "binomial",
          steps = rake_api(list(pop_types, pop_schwide)))
add_model("vh1_linear_county", "village_households", S_vh1, "income ~ members + county",
          "income ~ members + C(county)", "gaussian")
add_model("vh2_logistic", "village_households", S_vh2, "tv ~ members + broadband",
          "tv ~ members + broadband", "binomial")
add_model("panel_logistic_2025", "village_waves", S_panel,
          "joined ~ has_culture_room + age + county",
          "joined ~ has_culture_room + age + C(county)", "binomial", where = "wave_2025")
add_model("strat_poisson", "apistrat", S_strat, "api.stu ~ ell + meals + stype",
          "Q('api.stu') ~ ell + meals + stype", "poisson")
add_model("vh2_poisson_members", "village_households", S_vh2, "members ~ income + broadband",
          "members ~ income + broadband", "poisson")
add_model("vh1_female_linear", "village_households", S_vh1, "income ~ members",
          "income ~ members", "gaussian", where = "head_female")

# ---- svycralpha
add_alpha <- function(id, dataset, spec, items, where = NULL) {
  data <- datasets[[dataset]]
  des <- make_design(data, spec)
  if (!is.null(where)) des <- des[as.logical(data[[where]]), ]
  a <- svycralpha(fml(items), des, na.rm = TRUE)
  alpha_cases[[length(alpha_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, items = items, where = where,
    alpha = unname(a))
}
add_alpha("panel_q1_q4", "village_waves", S_panel, c("q1", "q2", "q3", "q4"))
add_alpha("panel_q1_q4_2025", "village_waves", S_panel, c("q1", "q2", "q3", "q4"),
          where = "wave_2025")
add_alpha("panel_q1_q2_q4", "village_waves", S_panel, c("q1", "q2", "q4"))
add_alpha("strat_ell_meals_mobility", "apistrat", S_strat, c("ell", "meals", "mobility"))

# ---- two-wave change on the stacked waves: the ratio of totals per (wave, domain),
# their covariance (svyratio covmat = TRUE) and the contrast new - old. (svyby's
# covmat = TRUE is block-diagonal for svydesign objects in survey 4.1, so it cannot
# give the panel covariance.)
add_change <- function(id, spec, variable, kind, by = NULL, mode = "panel") {
  data <- vw
  des <- make_design(data, spec)
  cells <- if (is.null(by)) "" else sort(unique(data[[by]]), method = "radix")
  levels <- if (kind == "proportion") sort(unique(data[[variable]]), method = "radix") else ""
  rows <- list()
  for (cell in cells) {
    inside <- if (is.null(by)) rep(TRUE, nrow(data)) else data[[by]] == cell
    for (lev in levels) {
      y <- if (kind == "proportion") as.numeric(data[[variable]] == lev) else data[[variable]]
      des2 <- update(des, .yo = y * (wave == "2024") * inside, .yn = y * (wave == "2025") * inside,
                     .do = as.numeric(wave == "2024") * inside,
                     .dn = as.numeric(wave == "2025") * inside)
      r <- svyratio(~.yo + .yn, ~.do + .dn, des2, covmat = TRUE)
      est <- coef(r)
      old <- est[[".yo/.do"]]
      new <- est[[".yn/.dn"]]
      con <- svycontrast(r, c(".yo/.do" = -1, ".yn/.dn" = 1))
      df <- degf(des[inside, ])
      t <- coef(con)[[1]] / SE(con)[[1]]
      rows[[length(rows) + 1]] <- list(
        by = if (is.null(by)) NULL else setNames(list(cell), by), level = lev,
        estimate_old = old, estimate_new = new, change = coef(con)[[1]], se = SE(con)[[1]],
        df = df, p_value = 2 * pt(-abs(t), df),
        ci_low = coef(con)[[1]] + qt(0.025, df) * SE(con)[[1]],
        ci_high = coef(con)[[1]] + qt(0.975, df) * SE(con)[[1]])
    }
  }
  wave_cases[[length(wave_cases) + 1]] <<- list(
    id = id, data = files[["village_waves"]], design = spec, mode = mode, variable = variable,
    kind = kind, by = by, old = "2024", new = "2025", rows = rows)
}
for (m in list(list(S_panel, "panel"), list(S_indep, "independent"))) {
  add_change(paste0(m[[2]], "_income"), m[[1]], "income", "mean", mode = m[[2]])
  add_change(paste0(m[[2]], "_tv"), m[[1]], "tv", "mean", mode = m[[2]])
  add_change(paste0(m[[2]], "_broadband"), m[[1]], "broadband", "proportion", mode = m[[2]])
  add_change(paste0(m[[2]], "_income_by_county"), m[[1]], "income", "mean", by = "county",
             mode = m[[2]])
  add_change(paste0(m[[2]], "_participation_by_county"), m[[1]], "participation", "proportion",
             by = "county", mode = m[[2]])
}

# ------------------------------------------------------------------ output
out <- list(
  generator = list(
    R = R.version.string,
    survey = as.character(packageVersion("survey")),
    jsonlite = as.character(packageVersion("jsonlite")),
    options = list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
                   survey.ultimate.cluster = FALSE)
  ),
  chisq = chisq_cases, shares = share_cases, weighting = weighting_cases,
  models = model_cases, alpha = alpha_cases, waves = wave_cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE),
           file.path(out_dir, "survey_reference_models.json"), useBytes = TRUE)
cat(sprintf("wrote %d chisq, %d shares, %d weighting, %d model, %d alpha, %d wave cases\n",
            length(chisq_cases), length(share_cases), length(weighting_cases),
            length(model_cases), length(alpha_cases), length(wave_cases)))
