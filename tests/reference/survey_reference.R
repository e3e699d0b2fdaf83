# Reference values for baicun's design-based estimators, computed with R's survey package.
#
# Run from the repository root:
#     Rscript tests/reference/survey_reference.R
# It writes, next to this script:
#   apistrat.csv, apiclus1.csv, apiclus2.csv   the survey package's `api` data sets
#   village_households.csv                      synthetic two-stage village/household sample
#   village_households_lonely.csv               the same with a one-village county and a
#                                               one-household village (lonely units)
#   survey_reference.json                       every case: design, estimator, R's results
# CI has no R: the tests only read the committed CSV and JSON files.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
        survey.ultimate.cluster = FALSE)

# ------------------------------------------------------------------ data sets
data(api)
apiclus2$fpc2 <- as.vector(apiclus2$fpc2)
write_data <- function(df, name) {
  df <- as.data.frame(df)
  for (v in names(df)) if (is.factor(df[[v]])) df[[v]] <- as.character(df[[v]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", fileEncoding = "UTF-8")
  # Compute from the file as written (15 significant digits), exactly what the tests read.
  back <- read.csv(file.path(out_dir, name), check.names = FALSE, na.strings = "",
                   encoding = "UTF-8", stringsAsFactors = FALSE)
  for (v in names(back)) if (is.character(back[[v]])) back[[v]] <- enc2utf8(back[[v]])
  back
}

# Synthetic "hundred villages" household sample: counties (strata), villages drawn
# by simple random sampling within counties (stage 1), households drawn within
# villages (stage 2). Village labels repeat across counties (村01, 村02, ...), so
# the design needs nest=TRUE; `village_uid` is a globally unique label.
make_villages <- function(seed, counties, N_v, n_v, m_h = NULL) {
  set.seed(seed)
  out <- list()
  for (k in seq_along(counties)) {
    county_eff <- rnorm(1, 0, 0.25)
    for (v in seq_len(n_v[k])) {
      N_h <- sample(60:400, 1)
      fixed <- if (is.null(m_h[[counties[k]]])) NA else m_h[[counties[k]]][v]
      m <- if (!is.na(fixed)) fixed else sample(4:12, 1)
      v_eff <- rnorm(3, 0, 0.5)
      hh <- data.frame(
        county = counties[k],
        village = sprintf("村%02d", v),
        village_uid = sprintf("%s-村%02d", counties[k], v),
        hh = seq_len(m),
        N_v = N_v[k], n_v = n_v[k], N_h = N_h, m_h = m,
        f_v = n_v[k] / N_v[k], f_h = m / N_h,
        stringsAsFactors = FALSE
      )
      hh$w <- (N_v[k] / n_v[k]) * (N_h / m) * runif(m, 0.85, 1.15)
      hh$members <- 1 + rpois(m, 3)
      hh$income <- round(exp(rnorm(m, 9.6 + county_eff + v_eff[1], 0.55)), -1)
      hh$income[runif(m) < 0.06] <- NA
      hh$tv <- rbinom(m, 1, plogis(1.5 + v_eff[2]))
      hh$broadband <- ifelse(rbinom(m, 1, plogis(0.2 + v_eff[3])) == 1, "有", "无")
      hh$participation <- sample(c("从不", "很少", "有时", "经常", "总是"), m, replace = TRUE,
                                 prob = c(.25, .3, .25, .15, .05))
      hh$participation[runif(m) < 0.03] <- NA
      hh$ethnicity <- sample(c("汉族", "回族", "东乡族"), m, replace = TRUE, prob = c(.6, .25, .15))
      hh$satisfaction <- sample(1:5, m, replace = TRUE, prob = c(.05, .15, .3, .35, .15))
      hh$build_year <- 1975 + sample(0:45, m, replace = TRUE)
      hh$head_female <- runif(m) < 0.3
      out[[length(out) + 1]] <- hh
    }
  }
  df <- do.call(rbind, out)
  rownames(df) <- NULL
  df
}

counties <- c("临夏县", "和政县", "广河县", "康乐县", "东乡县")
vh <- make_villages(20240521, counties, N_v = c(40, 25, 32, 18, 50), n_v = c(5, 4, 4, 3, 6))
# A rare ethnic group living in one village of 临夏县 and two villages of 东乡县: as a
# domain it has a single PSU in 临夏县 (a lonely PSU that arises only in the domain).
vh$ethnicity[vh$village_uid == "临夏县-村02"][1:2] <- "其他"
vh$ethnicity[vh$village_uid %in% c("东乡县-村01", "东乡县-村04")] <- "其他"

vhl <- make_villages(20240522, counties, N_v = c(40, 10, 32, 18, 50), n_v = c(5, 1, 4, 3, 6),
                     m_h = list("广河县" = c(NA, 1)))

apistrat <- write_data(apistrat, "apistrat.csv")
apiclus1 <- write_data(apiclus1, "apiclus1.csv")
apiclus2 <- write_data(apiclus2, "apiclus2.csv")
vh <- write_data(vh, "village_households.csv")
vhl <- write_data(vhl, "village_households_lonely.csv")
datasets <- list(apistrat = apistrat, apiclus1 = apiclus1, apiclus2 = apiclus2,
                 village_households = vh, village_households_lonely = vhl)
files <- c(apistrat = "apistrat.csv", apiclus1 = "apiclus1.csv", apiclus2 = "apiclus2.csv",
           village_households = "village_households.csv",
           village_households_lonely = "village_households_lonely.csv")

# ------------------------------------------------------------------ designs
fml <- function(v) as.formula(paste("~", paste(sprintf("`%s`", v), collapse = "+")))

design_spec <- function(weights = NULL, strata = NULL, psu = character(0), fpc = character(0),
                        nest = TRUE, lonely_psu = "fail", adjust_domain_lonely = FALSE,
                        poststrata = NULL) {
  list(weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
       lonely_psu = lonely_psu, adjust_domain_lonely = adjust_domain_lonely,
       poststrata = poststrata)
}

make_design <- function(data, spec) {
  ids <- if (length(spec$psu)) fml(spec$psu) else ~1
  des <- svydesign(
    ids = ids,
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
    levs <- opts$levels
    lapply(levs, function(lev) {
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
  r <- svyratio(fml(var), fml(opts$denominator), sub, deff = TRUE)
  ci <- confint(r, df = degf(sub))
  list(row_of(coef(r)[[1]], SE(r)[[1]], ci[1, ], degf(sub), attr(r, "deff")[1, 1], nobs(sub),
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

add_case <- function(id, dataset, spec, estimator, variables, by = character(0), where = NULL,
                     opts = list()) {
  data <- datasets[[dataset]]
  options(survey.lonely.psu = spec$lonely_psu,
          survey.adjust.domain.lonely = spec$adjust_domain_lonely)
  on.exit(options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE))
  case <- list(id = id, data = files[[dataset]], design = spec, estimator = estimator,
               variables = variables, by = by, where = where,
               options = opts[setdiff(names(opts), "levels")], rows = list(), error = NULL)
  res <- tryCatch({
    des <- make_design(data, spec)
    rows <- list()
    for (var in variables) {
      keep <- rep(TRUE, nrow(data))
      if (!is.null(where)) keep <- keep & as.logical(data[[where]])
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
    rows
  }, error = function(e) structure(conditionMessage(e), class = "r_error"))
  if (inherits(res, "r_error")) case$error <- unclass(res) else case$rows <- res
  cases[[length(cases) + 1]] <<- case
}

S_apistrat <- design_spec(weights = "pw", strata = "stype", fpc = "fpc", nest = FALSE)
S_apistrat_nofpc <- design_spec(weights = "pw", strata = "stype", nest = FALSE)
S_apiclus1 <- design_spec(weights = "pw", psu = "dnum", fpc = "fpc", nest = FALSE)
S_apiclus1_nofpc <- design_spec(weights = "pw", psu = "dnum", nest = FALSE)
S_apiclus2 <- design_spec(psu = c("dnum", "snum"), fpc = c("fpc1", "fpc2"), nest = FALSE)
S_apiclus2_w <- design_spec(weights = "pw", psu = c("dnum", "snum"), fpc = c("fpc1", "fpc2"),
                            nest = FALSE)
S_apiclus2_uc <- design_spec(weights = "pw", psu = c("dnum", "snum"), nest = FALSE)
S_vh2 <- design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                     fpc = c("N_v", "N_h"), nest = TRUE)
S_vh2_frac <- design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                          fpc = c("f_v", "f_h"), nest = TRUE)
S_vh1 <- design_spec(weights = "w", strata = "county", psu = "village", nest = TRUE)
S_vh1_uid <- design_spec(weights = "w", strata = "county", psu = "village_uid", nest = FALSE)
S_vh1_fpc <- design_spec(weights = "w", strata = "county", psu = "village", fpc = "N_v", nest = TRUE)

# --- api: every estimator, with and without domains
for (s in list(list("apistrat", S_apistrat, "strat"), list("apistrat", S_apistrat_nofpc, "strat_nofpc"),
               list("apiclus1", S_apiclus1, "clus1"), list("apiclus1", S_apiclus1_nofpc, "clus1_nofpc"),
               list("apiclus2", S_apiclus2, "clus2"), list("apiclus2", S_apiclus2_w, "clus2_w"),
               list("apiclus2", S_apiclus2_uc, "clus2_ultimate"))) {
  ds <- s[[1]]; sp <- s[[2]]; tag <- s[[3]]
  add_case(paste0(tag, "_mean"), ds, sp, "mean", c("api00", "api99", "enroll"))
  add_case(paste0(tag, "_mean_by_stype"), ds, sp, "mean", c("api00", "enroll"), by = "stype")
  add_case(paste0(tag, "_total"), ds, sp, "total", c("enroll", "api.stu"))
  add_case(paste0(tag, "_total_by_awards"), ds, sp, "total", "enroll", by = "awards")
  add_case(paste0(tag, "_ratio"), ds, sp, "ratio", "api.stu", opts = list(denominator = "enroll"))
  add_case(paste0(tag, "_ratio_by_stype"), ds, sp, "ratio", "api00", by = "stype",
           opts = list(denominator = "api99"))
  add_case(paste0(tag, "_proportion"), ds, sp, "proportion", c("sch.wide", "stype"))
  add_case(paste0(tag, "_proportion_by"), ds, sp, "proportion", "awards", by = c("stype"))
  add_case(paste0(tag, "_quantile"), ds, sp, "quantile", c("api00", "enroll"),
           opts = list(q = c(0.1, 0.25, 0.5, 0.75, 0.9)))
  add_case(paste0(tag, "_quantile_by"), ds, sp, "quantile", "api00", by = "sch.wide",
           opts = list(q = c(0.25, 0.5, 0.75)))
}
for (m in c("wald", "logit", "beta", "xlogit", "asin")) {
  add_case(paste0("strat_proportion_", m), "apistrat", S_apistrat, "proportion",
           c("sch.wide", "awards", "stype"), by = "yr.rnd", opts = list(method = m))
  add_case(paste0("clus2_proportion_", m), "apiclus2", S_apiclus2, "proportion",
           c("comp.imp", "stype"), opts = list(method = m))
}
for (it in c("mean", "beta", "xlogit", "asin")) {
  for (qr in c("math", "school", "hf7")) {
    add_case(sprintf("strat_quantile_%s_%s", it, qr), "apistrat", S_apistrat, "quantile",
             c("api00", "meals"), opts = list(q = c(0.25, 0.5, 0.9), interval = it, qrule = qr))
  }
  add_case(sprintf("clus1_quantile_by_%s", it), "apiclus1", S_apiclus1, "quantile", "api00",
           by = "stype", opts = list(q = c(0.5), interval = it))
}
add_case("strat_mean_two_by", "apistrat", S_apistrat, "mean", "api00", by = c("stype", "awards"))
add_case("strat_total_categorical", "apistrat", S_apistrat, "total", "stype", by = "awards")
add_case("strat_mean_na", "apistrat", S_apistrat, "mean", c("acs.k3", "avg.ed"), by = "stype")
add_case("clus2_mean_na", "apiclus2", S_apiclus2, "mean", "enroll", by = "stype")
add_case("clus2_ratio_na", "apiclus2", S_apiclus2, "ratio", "api.stu", by = "stype",
         opts = list(denominator = "enroll"))
add_case("clus2_quantile_na", "apiclus2", S_apiclus2, "quantile", "enroll", by = "stype",
         opts = list(q = c(0.5, 0.75)))

# --- village households: two stages with fpc as sizes or fractions, nesting
for (s in list(list(S_vh2, "vh2"), list(S_vh2_frac, "vh2_frac"), list(S_vh1, "vh1"),
               list(S_vh1_uid, "vh1_uid"), list(S_vh1_fpc, "vh1_fpc"))) {
  sp <- s[[1]]; tag <- s[[2]]
  add_case(paste0(tag, "_mean"), "village_households", sp, "mean", c("income", "members", "build_year"))
  add_case(paste0(tag, "_mean_by"), "village_households", sp, "mean", c("income", "satisfaction"),
           by = c("county", "broadband"))
  add_case(paste0(tag, "_total"), "village_households", sp, "total", c("members", "tv"), by = "ethnicity")
  add_case(paste0(tag, "_ratio"), "village_households", sp, "ratio", "income", by = "county",
           opts = list(denominator = "members"))
  add_case(paste0(tag, "_proportion"), "village_households", sp, "proportion",
           c("participation", "broadband"), by = "county")
  add_case(paste0(tag, "_proportion_beta"), "village_households", sp, "proportion",
           "participation", by = "ethnicity", opts = list(method = "beta"))
  add_case(paste0(tag, "_quantile"), "village_households", sp, "quantile", c("income", "build_year"),
           by = "county", opts = list(q = c(0.25, 0.5, 0.75)))
  add_case(paste0(tag, "_mean_where"), "village_households", sp, "mean", "income",
           by = "ethnicity", where = "head_female")
}

# --- lonely PSUs: every policy, one and two stages, with and without fpc
S_l1 <- function(p) design_spec(weights = "w", strata = "county", psu = "village", nest = TRUE,
                                lonely_psu = p)
S_l1f <- function(p) design_spec(weights = "w", strata = "county", psu = "village", fpc = "N_v",
                                 nest = TRUE, lonely_psu = p)
S_l2 <- function(p) design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                                fpc = c("N_v", "N_h"), nest = TRUE, lonely_psu = p)
for (p in c("fail", "remove", "certainty", "adjust", "average")) {
  for (s in list(list(S_l1(p), "l1"), list(S_l1f(p), "l1fpc"), list(S_l2(p), "l2"))) {
    sp <- s[[1]]; tag <- paste0(s[[2]], "_", p)
    add_case(paste0(tag, "_mean"), "village_households_lonely", sp, "mean", c("income", "members"),
             by = "broadband")
    add_case(paste0(tag, "_total"), "village_households_lonely", sp, "total", "members")
    add_case(paste0(tag, "_proportion"), "village_households_lonely", sp, "proportion",
             "participation", opts = list(method = "wald"))
    add_case(paste0(tag, "_quantile"), "village_households_lonely", sp, "quantile", "income",
             opts = list(q = 0.5))
    add_case(paste0(tag, "_ratio"), "village_households_lonely", sp, "ratio", "income",
             by = "ethnicity", opts = list(denominator = "members"))
  }
}

# --- lonely PSUs that arise only in a domain (ethnicity 其他 has one village in 临夏县)
for (adl in c(FALSE, TRUE)) {
  for (p in c("fail", "certainty", "adjust", "average")) {
    for (s in list(list(design_spec(weights = "w", strata = "county", psu = "village", nest = TRUE,
                                    lonely_psu = p, adjust_domain_lonely = adl), "dl1"),
                   list(design_spec(weights = "w", strata = "county", psu = c("village", "hh"),
                                    fpc = c("N_v", "N_h"), nest = TRUE, lonely_psu = p,
                                    adjust_domain_lonely = adl), "dl2"))) {
      tag <- sprintf("%s_%s_%s", s[[2]], p, if (adl) "adjdomain" else "default")
      add_case(paste0(tag, "_mean"), "village_households", s[[1]], "mean", c("income", "members"),
               by = "ethnicity")
      add_case(paste0(tag, "_total"), "village_households", s[[1]], "total", "members",
               by = "ethnicity")
    }
  }
}

# --- calibrated design (post-stratification), to check the variance hook for weighting
ps_types <- list(variable = "stype", levels = c("E", "H", "M"), counts = c(4421, 755, 1018))
S_clus1_ps <- design_spec(weights = "pw", psu = "dnum", fpc = "fpc", nest = FALSE,
                          poststrata = ps_types)
add_case("clus1_poststrat_mean", "apiclus1", S_clus1_ps, "mean", c("api00", "enroll"))
add_case("clus1_poststrat_mean_by", "apiclus1", S_clus1_ps, "mean", "api00", by = "sch.wide")
add_case("clus1_poststrat_total", "apiclus1", S_clus1_ps, "total", "enroll", by = "sch.wide")
add_case("clus1_poststrat_ratio", "apiclus1", S_clus1_ps, "ratio", "api00", by = "sch.wide",
         opts = list(denominator = "api99"))
add_case("clus1_poststrat_proportion", "apiclus1", S_clus1_ps, "proportion", "awards",
         by = "sch.wide", opts = list(method = "logit"))

# ------------------------------------------------------------------ output
out <- list(
  generator = list(
    R = R.version.string,
    survey = as.character(packageVersion("survey")),
    jsonlite = as.character(packageVersion("jsonlite")),
    options = list(survey.lonely.psu = "set per case", survey.adjust.domain.lonely = "set per case",
                   survey.ultimate.cluster = FALSE)
  ),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE),
           file.path(out_dir, "survey_reference.json"), useBytes = TRUE)
n_err <- sum(vapply(cases, function(c) !is.null(c$error), logical(1)))
cat(sprintf("wrote %d cases (%d expected errors) to %s\n", length(cases), n_err, out_dir))
