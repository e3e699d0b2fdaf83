# Reference values for baicun's replicate-weight designs, computed with R's survey package.
#
# Run from the repository root, after survey_reference.R (it reads apistrat.csv and
# apiclus1.csv written by that script):
#     Rscript tests/reference/survey_reference_replicate.R
# It writes, next to this script:
#   apistrat_replicate.csv   apistrat with 15 variance strata of two PSUs each (vstratum,
#                            vpsu) and replicate weights exported from as.svrepdesign():
#                            brr_*, fay_* (rho 0.3) and jkn_* (JKn on vstratum/vpsu)
#   apiclus1_replicate.csv   apiclus1 with jk1_* (JK1 on dnum) and boot_* (50 bootstrap
#                            replicates, seeded)
#   survey_reference_replicate.json   every case: design, estimator, R's results
# Designs are either "given" (svrepdesign() on the exported columns, as read back from the
# CSV) or "as" (as.svrepdesign() on a svydesign); the tests build the same in baicun.
# CI has no R: the tests only read the committed CSV and JSON files.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

options(survey.lonely.psu = "fail", survey.replicates.mse = FALSE)

read_ref <- function(name) {
  back <- read.csv(file.path(out_dir, name), check.names = FALSE, na.strings = "",
                   encoding = "UTF-8", stringsAsFactors = FALSE)
  for (v in names(back)) if (is.character(back[[v]])) back[[v]] <- enc2utf8(back[[v]])
  back
}
write_back <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", fileEncoding = "UTF-8")
  read_ref(name)
}

# ------------------------------------------------------------------ data and exported weights
apistrat <- read_ref("apistrat.csv")
apiclus1 <- read_ref("apiclus1.csv")

# Variance strata: five per school type, each split into two PSUs by alternating rows.
rank_in <- ave(seq_len(nrow(apistrat)), apistrat$stype, FUN = seq_along)
size_in <- ave(seq_len(nrow(apistrat)), apistrat$stype, FUN = length)
apistrat$vstratum <- paste0(apistrat$stype, (rank_in - 1) %/% (size_in / 5) + 1)
apistrat$vpsu <- (rank_in - 1) %% 2 + 1

d_pairs <- svydesign(ids = ~vpsu, strata = ~vstratum, weights = ~pw, nest = TRUE, data = apistrat)
analysis_weights <- function(rep, prefix) {
  w <- weights(rep, "analysis")
  colnames(w) <- paste0(prefix, seq_len(ncol(w)))
  as.data.frame(w)
}
brr <- as.svrepdesign(d_pairs, type = "BRR")
fay <- as.svrepdesign(d_pairs, type = "Fay", fay.rho = 0.3)
jkn <- as.svrepdesign(d_pairs, type = "JKn")
apistrat_rep <- write_back(cbind(apistrat, analysis_weights(brr, "brr_"),
                                 analysis_weights(fay, "fay_"), analysis_weights(jkn, "jkn_")),
                           "apistrat_replicate.csv")

d_clus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
jk1 <- as.svrepdesign(d_clus1, type = "JK1")
set.seed(20261207)
boot <- as.svrepdesign(svydesign(ids = ~dnum, weights = ~pw, data = apiclus1),
                       type = "bootstrap", replicates = 50)
apiclus1_rep <- write_back(cbind(apiclus1, analysis_weights(jk1, "jk1_"),
                                 analysis_weights(boot, "boot_")), "apiclus1_replicate.csv")

datasets <- list(apistrat_replicate = apistrat_rep, apiclus1_replicate = apiclus1_rep,
                 village_households_lonely = read_ref("village_households_lonely.csv"))
files <- c(apistrat_replicate = "apistrat_replicate.csv",
           apiclus1_replicate = "apiclus1_replicate.csv",
           village_households_lonely = "village_households_lonely.csv")

# ------------------------------------------------------------------ designs
fml <- function(v) as.formula(paste("~", paste(sprintf("`%s`", v), collapse = "+")))

given_spec <- function(prefix, type, weights = "pw", scale = NULL, rscales = NULL, rho = NULL,
                       mse = FALSE) {
  list(kind = "given", weights = weights, repweights = prefix, type = type, scale = scale,
       rscales = rscales, rho = rho, mse = mse)
}
as_spec <- function(type, strata = NULL, psu = NULL, fpc = NULL, weights = "pw", rho = NULL,
                    mse = FALSE, nest = TRUE, lonely_psu = "fail") {
  list(kind = "as", weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
       type = type, rho = rho, mse = mse, lonely_psu = lonely_psu)
}

make_design <- function(data, spec) {
  if (spec$kind == "given") {
    cols <- grep(paste0("^", spec$repweights, "[0-9]+$"), names(data), value = TRUE)
    args <- list(data = data, repweights = data[, cols], weights = fml(spec$weights),
                 type = spec$type, combined.weights = TRUE, mse = spec$mse)
    if (!is.null(spec$scale)) args$scale <- spec$scale
    if (!is.null(spec$rscales)) args$rscales <- spec$rscales
    if (!is.null(spec$rho)) args$rho <- spec$rho
    return(suppressWarnings(do.call(svrepdesign, args)))
  }
  options(survey.lonely.psu = spec$lonely_psu)  # jknweights() reads it
  on.exit(options(survey.lonely.psu = "fail"))
  d <- svydesign(ids = if (is.null(spec$psu)) ~1 else fml(spec$psu),
                 strata = if (is.null(spec$strata)) NULL else fml(spec$strata),
                 weights = fml(spec$weights),
                 fpc = if (is.null(spec$fpc)) NULL else fml(spec$fpc),
                 nest = spec$nest, data = data)
  if (spec$type == "Fay") {
    as.svrepdesign(d, type = "Fay", fay.rho = spec$rho, mse = spec$mse)
  } else {
    as.svrepdesign(d, type = spec$type, mse = spec$mse)
  }
}

# ------------------------------------------------------------------ estimators on one subset
nobs <- function(des) sum(weights(des, "sampling") != 0)

row_of <- function(estimate, se, ci, df, deff, n, variable, level = NULL, quantile = NULL) {
  list(variable = variable, level = level, quantile = quantile,
       estimate = unname(estimate), se = unname(se), ci_low = unname(ci[1]),
       ci_high = unname(ci[2]), df = df, deff = unname(deff), n = n)
}

est_mean <- function(sub, var, opts) {
  m <- svymean(fml(var), sub, deff = TRUE)
  ci <- confint(m, df = degf(sub))
  list(row_of(coef(m)[[1]], SE(m)[[1]], ci[1, ], degf(sub), deff(m)[[1]], nobs(sub), var))
}

est_total <- function(sub, var, opts) {
  x <- sub$variables[[var]]
  if (is.character(x) || is.factor(x) || is.logical(x)) {
    lapply(opts$levels, function(lev) {
      s2 <- eval(bquote(update(sub, .ind = as.numeric(as.character(.(as.name(var))) == .(lev)))))
      m <- svytotal(~.ind, s2, deff = TRUE)
      ci <- confint(m, df = degf(sub))
      row_of(coef(m)[[1]], SE(m)[[1]], ci[1, ], degf(sub), deff(m)[[1]], nobs(sub), var, level = lev)
    })
  } else {
    m <- svytotal(fml(var), sub, deff = TRUE)
    ci <- confint(m, df = degf(sub))
    list(row_of(coef(m)[[1]], SE(m)[[1]], ci[1, ], degf(sub), deff(m)[[1]], nobs(sub), var))
  }
}

est_ratio <- function(sub, var, opts) {
  # svyratio(deff = TRUE) fails on replicate designs in survey 4.1.1; R's intended deff is
  # deff(svytotal(y - r x)), computed here the same way
  r <- svyratio(fml(var), fml(opts$denominator), sub)
  ci <- confint(r, df = degf(sub))
  rr <- coef(r)[[1]]
  s2 <- eval(bquote(update(sub, .lin = .(as.name(var)) - .(rr) * .(as.name(opts$denominator)))))
  dm <- svytotal(~.lin, s2, deff = TRUE)
  list(row_of(rr, SE(r)[[1]], ci[1, ], degf(sub), deff(dm)[[1]], nobs(sub),
              paste0(var, "/", opts$denominator)))
}

est_proportion <- function(sub, var, opts) {
  method <- if (is.null(opts$method)) "logit" else opts$method
  r_method <- if (method == "wald") "mean" else method
  lapply(opts$levels, function(lev) {
    s2 <- eval(bquote(update(sub, .ind = as.numeric(as.character(.(as.name(var))) == .(lev)))))
    m <- svymean(~.ind, s2, deff = TRUE)
    p <- coef(m)[[1]]
    ci <- c(NA, NA)
    if (p > 0 && p < 1) {
      cp <- svyciprop(~.ind, s2, method = r_method, df = degf(s2))
      ci <- as.vector(attr(cp, "ci"))
    }
    row_of(p, SE(m)[[1]], ci, degf(sub), deff(m)[[1]], nobs(sub), var, level = lev)
  })
}

est_quantile <- function(sub, var, opts) {
  qrule <- if (is.null(opts$qrule)) "math" else opts$qrule
  interval <- if (is.null(opts$interval)) "mean" else opts$interval
  q <- svyquantile(fml(var), sub, quantiles = opts$q, ci = TRUE, qrule = qrule,
                   interval.type = interval)
  tab <- q[[1]]
  lapply(seq_along(opts$q), function(i) {
    row_of(tab[i, 1], tab[i, 4], tab[i, 2:3], degf(sub), NA, nobs(sub), var,
           quantile = opts$q[i])
  })
}

estimators <- list(mean = est_mean, total = est_total, ratio = est_ratio,
                   proportion = est_proportion, quantile = est_quantile)

# ------------------------------------------------------------------ cases
cases <- list()
designs <- list()

add_case <- function(id, dataset, spec, estimator, variables, by = character(0), opts = list()) {
  data <- datasets[[dataset]]
  case <- list(id = id, data = files[[dataset]], design = spec, estimator = estimator,
               variables = variables, by = by, where = NULL,
               options = opts[setdiff(names(opts), "levels")], rows = list(), error = NULL)
  des <- make_design(data, spec)
  case$r_design <- list(scale = des$scale, rscales = des$rscales, degf = degf(des),
                        replicates = ncol(weights(des, "analysis")))
  rows <- list()
  for (var in variables) {
    keep <- rep(TRUE, nrow(data))
    analysed <- c(var, if (!is.null(opts$denominator)) opts$denominator)
    for (a in analysed) keep <- keep & !is.na(data[[a]])
    o <- opts
    if (estimator %in% c("proportion", "total")) {
      x <- data[[var]]
      if (is.character(x) || is.logical(x) || estimator == "proportion") {
        o$levels <- sort(unique(as.character(x[!is.na(x)])), method = "radix")
      }
    }
    if (length(by)) {
      key <- do.call(paste, c(lapply(by, function(b) as.character(data[[b]])), sep = "\r"))
      cells <- unique(key[keep])
    } else {
      key <- rep("", nrow(data))
      cells <- ""
    }
    for (cell in cells) {
      idx <- keep & key == cell
      sub <- des[idx, ]
      by_values <- if (length(by)) {
        first <- which(idx)[1]
        setNames(lapply(by, function(b) as.character(data[[b]][first])), by)
      } else setNames(list(), character(0))
      for (r in estimators[[estimator]](sub, var, o)) {
        r$by <- by_values
        rows[[length(rows) + 1]] <- r
      }
    }
  }
  case$rows <- rows
  cases[[length(cases) + 1]] <<- case
}

jk1_scale <- jk1$scale
boot_scale <- boot$scale
jkn_rscales <- jkn$rscales

specs <- list(
  list("apiclus1_replicate", given_spec("jk1_", "JK1", scale = jk1_scale), "given_jk1"),
  list("apiclus1_replicate", given_spec("jk1_", "JK1", scale = jk1_scale, mse = TRUE),
       "given_jk1_mse"),
  list("apiclus1_replicate", given_spec("boot_", "bootstrap", scale = boot_scale), "given_boot"),
  list("apistrat_replicate", given_spec("brr_", "BRR"), "given_brr"),
  list("apistrat_replicate", given_spec("fay_", "Fay", rho = 0.3), "given_fay"),
  list("apistrat_replicate", given_spec("jkn_", "JKn", rscales = jkn_rscales), "given_jkn"),
  list("apiclus1_replicate", as_spec("JK1", psu = "dnum", fpc = "fpc", nest = FALSE), "as_jk1"),
  list("apistrat_replicate", as_spec("JKn", strata = "stype", fpc = "fpc", nest = FALSE), "as_jkn"),
  list("apistrat_replicate", as_spec("JKn", strata = "stype", fpc = "fpc", nest = FALSE,
                                     mse = TRUE), "as_jkn_mse"),
  list("apistrat_replicate", as_spec("BRR", strata = "vstratum", psu = "vpsu"), "as_brr"),
  list("apistrat_replicate", as_spec("Fay", strata = "vstratum", psu = "vpsu", rho = 0.3),
       "as_fay"),
  list("apistrat_replicate", as_spec("JKn", strata = "vstratum", psu = "vpsu"), "as_jkn_pairs")
)

for (s in specs) {
  ds <- s[[1]]; sp <- s[[2]]; tag <- s[[3]]
  add_case(paste0(tag, "_mean"), ds, sp, "mean", c("api00", "enroll"))
  add_case(paste0(tag, "_mean_by"), ds, sp, "mean", c("api00", "api99"), by = "awards")
  add_case(paste0(tag, "_mean_na"), ds, sp, "mean", c("acs.k3", "avg.ed"), by = "stype")
  add_case(paste0(tag, "_total"), ds, sp, "total", c("enroll", "stype"), by = "awards")
  add_case(paste0(tag, "_ratio"), ds, sp, "ratio", "api.stu", opts = list(denominator = "enroll"))
  add_case(paste0(tag, "_ratio_by"), ds, sp, "ratio", "api00", by = "stype",
           opts = list(denominator = "api99"))
  add_case(paste0(tag, "_proportion"), ds, sp, "proportion", c("sch.wide", "awards"),
           by = "stype")
  add_case(paste0(tag, "_quantile"), ds, sp, "quantile", "api00",
           opts = list(q = c(0.1, 0.5, 0.9)))
  add_case(paste0(tag, "_quantile_by"), ds, sp, "quantile", "api00", by = "sch.wide",
           opts = list(q = c(0.25, 0.5)))
}
for (m in c("wald", "beta", "xlogit", "asin")) {
  for (s in specs[c(1, 4, 8)]) {
    add_case(paste0(s[[3]], "_proportion_", m), s[[1]], s[[2]], "proportion",
             c("sch.wide", "stype"), opts = list(method = m))
  }
}
for (it in c("beta", "xlogit", "asin")) {
  add_case(paste0("as_jkn_quantile_", it), "apistrat_replicate", specs[[8]][[2]], "quantile",
           "api00", by = "awards", opts = list(q = c(0.25, 0.5), interval = it))
}
add_case("as_jkn_quantile_hf7", "apistrat_replicate", specs[[8]][[2]], "quantile", "enroll",
         opts = list(q = c(0.25, 0.5), qrule = "hf7"))

# --- JKn with a one-village county: R's lonely-PSU handling in jknweights()
for (p in c("remove", "certainty", "average", "adjust")) {
  sp <- as_spec("JKn", strata = "county", psu = "village", weights = "w", lonely_psu = p)
  add_case(paste0("as_jkn_lonely_", p, "_mean"), "village_households_lonely", sp, "mean",
           c("income", "members"), by = "broadband")
  add_case(paste0("as_jkn_lonely_", p, "_total"), "village_households_lonely", sp, "total",
           "members")
  add_case(paste0("as_jkn_lonely_", p, "_proportion"), "village_households_lonely", sp,
           "proportion", "participation", opts = list(method = "wald"))
}

# ------------------------------------------------------------------ svychisq and svyglm
chisq_cases <- list()
add_chisq <- function(id, dataset, spec, row, col) {
  des <- make_design(datasets[[dataset]], spec)
  f <- as.formula(sprintf("~`%s`+`%s`", row, col))
  res <- list()
  for (st in c("F", "Chisq")) {
    t <- svychisq(f, des, statistic = st)
    res[[st]] <- list(statistic = unname(t$statistic), parameter = as.list(t$parameter),
                      p_value = unname(t$p.value))
  }
  chisq_cases[[length(chisq_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, row = row, col = col,
    F = res$F, Chisq = res$Chisq)
}

model_cases <- list()
add_model <- function(id, dataset, spec, formula_r, formula_py, family) {
  data <- datasets[[dataset]]
  for (v in names(data)) {
    if (is.character(data[[v]])) data[[v]] <- factor(data[[v]], sort(unique(data[[v]]), method = "radix"))
  }
  des <- make_design(data, spec)
  fam <- switch(family, gaussian = gaussian(), binomial = quasibinomial(),
                poisson = quasipoisson())
  # svyglm on replicate designs evaluates family= in the data: splice the object in
  m <- eval(bquote(svyglm(.(as.formula(formula_r)), design = des, family = .(fam))))
  s <- summary(m)$coefficients
  ci <- confint(m)
  model_cases[[length(model_cases) + 1]] <<- list(
    id = id, data = files[[dataset]], design = spec, formula_r = formula_r,
    formula = formula_py, family = family, df = m$df.residual, n = length(m$y),
    coefficients = lapply(seq_len(nrow(s)), function(i) list(
      term_r = rownames(s)[i], estimate = s[i, 1], se = s[i, 2], t = s[i, 3],
      p_value = s[i, 4], ci_low = ci[i, 1], ci_high = ci[i, 2])))
}

for (s in specs[c(1, 2, 3, 5, 7, 8, 9, 10)]) {
  add_chisq(paste0(s[[3]], "_chisq_stype_schwide"), s[[1]], s[[2]], "stype", "sch.wide")
  add_chisq(paste0(s[[3]], "_chisq_awards_yrrnd"), s[[1]], s[[2]], "awards", "yr.rnd")
  add_model(paste0(s[[3]], "_linear"), s[[1]], s[[2]], "api00 ~ ell + meals + stype",
            "api00 ~ ell + meals + stype", "gaussian")
  add_model(paste0(s[[3]], "_linear_na"), s[[1]], s[[2]], "api00 ~ avg.ed + meals",
            "api00 ~ Q('avg.ed') + meals", "gaussian")
  add_model(paste0(s[[3]], "_logistic"), s[[1]], s[[2]], "I(sch.wide == 'Yes') ~ ell + meals",
            "I(Q('sch.wide') == 'Yes') ~ ell + meals", "binomial")
  add_model(paste0(s[[3]], "_poisson"), s[[1]], s[[2]], "enroll ~ meals + stype",
            "enroll ~ meals + stype", "poisson")
}

# ------------------------------------------------------------------ output
out <- list(
  generator = list(
    R = R.version.string,
    survey = as.character(packageVersion("survey")),
    jsonlite = as.character(packageVersion("jsonlite")),
    options = list(survey.lonely.psu = "fail", survey.replicates.mse = "FALSE unless mse"),
    seed = 20261207
  ),
  cases = cases,
  chisq = chisq_cases,
  models = model_cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE),
           file.path(out_dir, "survey_reference_replicate.json"), useBytes = TRUE)
cat(sprintf("wrote %d estimate, %d chisq and %d model cases to %s\n", length(cases),
            length(chisq_cases), length(model_cases), out_dir))
