# Reference values for baicun's covariances and contrasts, svychisq Wald tests, likelihood
# intervals of proportions, logit calibration and designs with zero weights, computed with
# R's survey package from the CSV files survey_reference.R wrote.
#
# Run from the repository root (after survey_reference.R, whose CSV files it reads):
#     Rscript tests/reference/survey_reference_extra.R
# It writes survey_reference_extra.json next to this script. CI has no R: the tests
# (tests/test_reference_extra.py) only read the committed JSON.

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
apistrat <- read_data("apistrat.csv")
apiclus1 <- read_data("apiclus1.csv")
vh <- read_data("village_households.csv")
vhl <- read_data("village_households_lonely.csv")
# Zero weights (the tests derive the same column): every fourth household, and every
# household of one village, keep their place in the design with weight 0.
vh$w0 <- ifelse(vh$hh %% 4 == 0 | vh$village_uid == "康乐县-村02", 0, vh$w)
datasets <- list(apistrat = apistrat, apiclus1 = apiclus1, village_households = vh,
                 village_households_lonely = vhl)

fml <- function(v) as.formula(paste("~", paste(sprintf("`%s`", v), collapse = "+")))

design_spec <- function(weights = NULL, strata = NULL, psu = character(0), fpc = character(0),
                        nest = TRUE, lonely_psu = "fail", poststrata = NULL) {
  list(weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
       lonely_psu = lonely_psu, adjust_domain_lonely = FALSE, poststrata = poststrata)
}

make_design <- function(data, spec) {
  options(survey.lonely.psu = spec$lonely_psu)
  des <- svydesign(
    ids = if (length(spec$psu)) fml(spec$psu) else ~1,
    strata = if (is.null(spec$strata)) NULL else fml(spec$strata),
    weights = if (is.null(spec$weights)) NULL else fml(spec$weights),
    fpc = if (length(spec$fpc)) fml(spec$fpc) else NULL,
    nest = spec$nest, data = data
  )
  if (!is.null(spec$poststrata)) {
    ps <- spec$poststrata
    pop <- data.frame(ps$levels, ps$counts, stringsAsFactors = FALSE)
    names(pop) <- c(ps$variable, "Freq")
    des <- postStratify(des, fml(ps$variable), pop)
  }
  des
}

S_strat <- design_spec(weights = "pw", strata = "stype", fpc = "fpc", nest = FALSE)
S_clus1 <- design_spec(weights = "pw", psu = "dnum", fpc = "fpc", nest = FALSE)
S_clus1_ps <- design_spec(weights = "pw", psu = "dnum", fpc = "fpc", nest = FALSE,
                          poststrata = list(variable = "stype", levels = c("E", "H", "M"),
                                            counts = c(4421, 755, 1018)))
S_vh2 <- design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                     fpc = c("N_v", "N_h"))
S_vh1 <- design_spec(weights = "w", strata = "county", psu = "village")
S_vhl_adjust <- design_spec(weights = "w", strata = "county", psu = "village",
                            lonely_psu = "adjust")
S_vh1_w0 <- design_spec(weights = "w0", strata = "county", psu = "village")
S_vh2_w0 <- design_spec(weights = "w0", strata = "county", psu = c("village", "hh"),
                        fpc = c("N_v", "N_h"))

# ------------------------------------------------------------------ covariances, contrasts
# R's names of svyby/svymean estimates -> baicun's row labels (by values:variable[:level]).
labels_of <- function(r_names, estimator, variables, by, denominator = NULL) {
  vapply(r_names, function(nm) {
    parts <- if (length(by)) strsplit(nm, ":", fixed = TRUE)[[1]] else nm
    dom <- if (length(by)) parts[1] else NULL
    stat <- if (length(by)) (if (length(parts) > 1) parts[2] else variables[1]) else nm
    if (estimator == "ratio") {
      stat <- paste0(variables[1], "/", denominator)
    } else if (estimator == "proportion") {
      var <- variables[1]
      stat <- paste0(var, ":", substring(stat, nchar(var) + 1))
    }
    paste(c(dom, stat), collapse = ":")
  }, character(1), USE.NAMES = FALSE)
}

contrast_cases <- list()
add_contrast <- function(id, dataset, spec, estimator, variables, by = character(0),
                         denominator = NULL, contrasts = list()) {
  data <- datasets[[dataset]]
  des <- make_design(data, spec)
  f <- fml(variables)
  est <- if (estimator == "proportion") svymean else if (estimator == "total") svytotal else
    if (estimator == "ratio") svyratio else svymean
  if (estimator == "proportion") {
    for (v in variables) des$variables[[v]] <- factor(des$variables[[v]])
  }
  res <- if (length(by)) {
    if (estimator == "ratio") {
      svyby(f, fml(by), des, svyratio, denominator = fml(denominator), covmat = TRUE)
    } else svyby(f, fml(by), des, est, covmat = TRUE)
  } else if (estimator == "ratio") {
    svyratio(f, fml(denominator), des, na.rm = TRUE)
  } else est(f, des, na.rm = TRUE)
  coefs <- as.vector(coef(res))
  v <- as.matrix(vcov(res))
  labels <- labels_of(names(coef(res)), estimator, variables, by, denominator)
  out <- list()
  for (cn in names(contrasts)) {
    w <- contrasts[[cn]]
    full <- setNames(rep(0, length(labels)), labels)
    full[names(w)] <- unlist(w)
    sc <- svycontrast(res, unname(full))
    out[[length(out) + 1]] <- list(name = cn, weights = w, estimate = as.vector(coef(sc)),
                                   se = as.vector(SE(sc)))
  }
  contrast_cases[[length(contrast_cases) + 1]] <<- list(
    id = id, data = dataset, design = spec, estimator = estimator, variables = variables,
    by = by, denominator = denominator, labels = labels, estimate = coefs,
    vcov = unname(v), contrasts = out)
}

add_contrast("strat_mean_by_stype", "apistrat", S_strat, "mean", "api00", "stype",
             contrasts = list(EH = list("E:api00" = 1, "H:api00" = -1),
                              EM = list("E:api00" = 1, "M:api00" = -1),
                              avg = list("E:api00" = 0.5, "H:api00" = 0.25, "M:api00" = 0.25)))
add_contrast("strat_two_means", "apistrat", S_strat, "mean", c("api00", "api99"),
             contrasts = list(gain = list(api00 = 1, api99 = -1)))
add_contrast("clus1_total_by_stype", "apiclus1", S_clus1, "total", "enroll", "stype",
             contrasts = list(EH = list("E:enroll" = 1, "H:enroll" = -1),
                              sum = list("E:enroll" = 1, "H:enroll" = 1, "M:enroll" = 1)))
# (R 4.1.1's svyby(covmat=TRUE) fails on calibrated designs: no domains here)
add_contrast("clus1_ps_two_means", "apiclus1", S_clus1_ps, "mean", c("api00", "api99"),
             contrasts = list(gain = list(api00 = 1, api99 = -1)))
add_contrast("vh2_mean_by_county", "village_households", S_vh2, "mean",
             c("members", "build_year"), "county",
             contrasts = list(d12 = list("临夏县:members" = 1, "和政县:members" = -1),
                              mixed = list("临夏县:members" = 1, "临夏县:build_year" = 0.01)))
add_contrast("vh2_proportion_by_county", "village_households", S_vh2, "proportion",
             "broadband", "county",
             contrasts = list(d = list("临夏县:broadband:有" = 1, "东乡县:broadband:有" = -1)))
add_contrast("vh1_ratio_by_county", "village_households", S_vh1, "ratio", "build_year",
             "county", denominator = "members",
             contrasts = list(d = list("广河县:build_year/members" = 1,
                                       "康乐县:build_year/members" = -1)))
add_contrast("vh1_proportion", "village_households", S_vh1, "proportion", "participation",
             contrasts = list(often = list("participation:经常" = 1, "participation:总是" = 1)))
add_contrast("vhl_adjust_total_by_ethnicity", "village_households_lonely", S_vhl_adjust,
             "total", "members", "ethnicity",
             contrasts = list(d = list("汉族:members" = 1, "回族:members" = -1)))

# ------------------------------------------------------------------ svychisq Wald, adjWald
chisq_cases <- list()
add_chisq <- function(id, dataset, spec, row, col) {
  des <- make_design(datasets[[dataset]], spec)
  for (st in c("Wald", "adjWald", if (grepl("w0", id)) c("F", "Chisq"))) {
    t <- svychisq(fml(c(row, col)), des, statistic = st)
    chisq_cases[[length(chisq_cases) + 1]] <<- list(
      id = paste0(id, "_", st), data = dataset, design = spec, row = row, col = col,
      statistic = st, value = unname(t$statistic), ndf = unname(t$parameter[1]),
      ddf = unname(t$parameter[2]), p_value = unname(t$p.value))
  }
}
add_chisq("strat_stype_awards", "apistrat", S_strat, "stype", "awards")
add_chisq("clus1_schwide_stype", "apiclus1", S_clus1, "sch.wide", "stype")
add_chisq("clus1_ps_schwide_awards", "apiclus1", S_clus1_ps, "sch.wide", "awards")
add_chisq("vh2_county_broadband", "village_households", S_vh2, "county", "broadband")
add_chisq("vh1_participation_ethnicity", "village_households", S_vh1, "participation",
          "ethnicity")
add_chisq("vh1_w0_county_broadband", "village_households", S_vh1_w0, "county", "broadband")
add_chisq("vh1_w0_participation_ethnicity", "village_households", S_vh1_w0, "participation",
          "ethnicity")

# ------------------------------------------------------------------ likelihood intervals
likelihood_cases <- list()
add_likelihood <- function(id, dataset, spec, variable, level_value, by = character(0),
                           ci_level = 0.95) {
  data <- datasets[[dataset]]
  des <- make_design(data, spec)
  des$variables$.hit <- as.numeric(as.character(des$variables[[variable]]) == level_value)
  cells <- if (length(by)) sort(unique(data[[by]]), method = "radix") else ""
  for (cell in cells) {
    sub <- if (length(by)) des[!is.na(data[[by]]) & data[[by]] == cell, ] else des
    sub <- sub[!is.na(sub$variables[[variable]]), ]
    p <- svyciprop(~.hit, sub, method = "likelihood", level = ci_level)
    likelihood_cases[[length(likelihood_cases) + 1]] <<- list(
      id = id, data = dataset, design = spec, variable = variable, level = level_value,
      by = by, cell = cell, ci_level = ci_level, estimate = as.vector(coef(p)),
      ci = as.vector(attr(p, "ci")))
  }
}
add_likelihood("strat_schwide", "apistrat", S_strat, "sch.wide", "Yes")
add_likelihood("strat_awards_by_stype", "apistrat", S_strat, "awards", "Yes", by = "stype")
add_likelihood("clus1_awards_90", "apiclus1", S_clus1, "awards", "No", ci_level = 0.9)
add_likelihood("vh2_tv_by_county", "village_households", S_vh2, "tv", "1", by = "county")
add_likelihood("vh1_broadband", "village_households", S_vh1, "broadband", "有")

# ------------------------------------------------------------------ logit calibration
calibration_cases <- list()
add_calibration <- function(id, dataset, spec, formula, population, bounds, variables) {
  des <- make_design(datasets[[dataset]], spec)
  cal <- calibrate(des, as.formula(formula), population, calfun = "logit", bounds = bounds)
  m <- svymean(fml(variables), cal, na.rm = TRUE)
  t <- svytotal(fml(variables), cal, na.rm = TRUE)
  calibration_cases[[length(calibration_cases) + 1]] <<- list(
    id = id, data = dataset, design = spec, formula = formula,
    population = as.list(population), bounds = bounds, variables = variables,
    weights = as.vector(weights(cal)), mean = as.vector(coef(m)), mean_se = as.vector(SE(m)),
    total = as.vector(coef(t)), total_se = as.vector(SE(t)))
}
add_calibration("clus1_stype_enroll", "apiclus1", S_clus1, "~stype+enroll",
                c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472),
                c(0.5, 2.5), c("api00", "api99"))
add_calibration("vh1_county_members", "village_households", S_vh1, "~county+members",
                c(`(Intercept)` = 42000, county临夏县 = 9500, county和政县 = 4600,
                  county广河县 = 7600, county康乐县 = 6000, members = 170000),
                c(0.5, 2), c("members", "tv"))

# ------------------------------------------------------------------ zero weights
zero_cases <- list()
add_zero <- function(id, spec, estimator, variable, by = character(0)) {
  des <- make_design(vh, spec)
  cells <- if (length(by)) sort(unique(vh[[by]]), method = "radix") else ""
  for (cell in cells) {
    sub <- if (length(by)) des[vh[[by]] == cell, ] else des
    sub <- sub[!is.na(sub$variables[[variable]]), ]
    if (estimator == "quantile") {
      r <- svyquantile(fml(variable), sub, 0.5, ci = TRUE, qrule = "math",
                       interval.type = "mean")[[1]]
      levels_ <- NULL
      ci <- list(as.vector(r[1, c("ci.2.5", "ci.97.5")]))
      zero_cases[[length(zero_cases) + 1]] <<- list(
        id = id, data = "village_households", design = spec, estimator = estimator,
        variable = variable, by = by, cell = cell, levels = NULL, estimate = r[1, "quantile"],
        se = r[1, "se"], deff = NULL, df = degf(sub), n = sum(weights(sub) != 0), ci = ci)
      next
    }
    if (estimator == "proportion") {
      x <- factor(sub$variables[[variable]])
      sub$variables$.f <- x
      r <- svymean(~.f, sub, deff = TRUE)
      levels_ <- levels(x)
      ci <- lapply(levels_, function(l) {
        sub$variables$.hit <- as.numeric(sub$variables$.f == l)
        as.vector(attr(svyciprop(~.hit, sub, method = "beta"), "ci"))
      })
    } else {
      f <- fml(variable)
      r <- if (estimator == "mean") svymean(f, sub, deff = TRUE) else svytotal(f, sub, deff = TRUE)
      levels_ <- NULL
      ci <- list(as.vector(confint(r, df = degf(sub))))
    }
    zero_cases[[length(zero_cases) + 1]] <<- list(
      id = id, data = "village_households", design = spec, estimator = estimator,
      variable = variable, by = by, cell = cell, levels = levels_,
      estimate = as.vector(coef(r)), se = as.vector(SE(r)), deff = as.vector(deff(r)),
      df = degf(sub), n = sum(weights(sub) != 0), ci = ci)
  }
}
add_zero("vh1_w0_mean", S_vh1_w0, "mean", "members")
add_zero("vh1_w0_mean_by", S_vh1_w0, "mean", "income", by = "county")
add_zero("vh1_w0_total_by", S_vh1_w0, "total", "members", by = "county")
add_zero("vh2_w0_mean", S_vh2_w0, "mean", "income")
add_zero("vh2_w0_proportion_by", S_vh2_w0, "proportion", "broadband", by = "county")
add_zero("vh1_w0_median", S_vh1_w0, "quantile", "income")
add_zero("vh1_w0_median_by", S_vh1_w0, "quantile", "build_year", by = "county")

# ------------------------------------------------------------------ output
out <- list(
  generator = list(R = R.version.string, survey = as.character(packageVersion("survey")),
                   jsonlite = as.character(packageVersion("jsonlite"))),
  contrasts = contrast_cases, chisq = chisq_cases, likelihood = likelihood_cases,
  calibration = calibration_cases, zero_weights = zero_cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE),
           file.path(out_dir, "survey_reference_extra.json"), useBytes = TRUE)
cat(sprintf("wrote %d contrast, %d chisq, %d likelihood, %d calibration, %d zero-weight cases\n",
            length(contrast_cases), length(chisq_cases), length(likelihood_cases),
            length(calibration_cases), length(zero_cases)))
