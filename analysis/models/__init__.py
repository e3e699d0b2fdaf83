"""Design-based regression models (R's ``svyglm``) and their formulas.

>>> from analysis.models import regression
>>> callable(regression)
True
"""

from .glm import FAMILIES, Regression, linear_regression, logistic_regression, regression

__all__ = ["FAMILIES", "Regression", "linear_regression", "logistic_regression", "regression"]
