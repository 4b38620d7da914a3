"""Uncertainty of a footprint: Monte Carlo, data quality (pedigree, DQR) and sensitivity (issue 13)."""
from greenal.uncertainty.montecarlo import (MAX_ITERATIONS, MonteCarloResult, check_iterations, check_seed,
                                            data_quality_of, difference, monte_carlo)

__all__ = ["MAX_ITERATIONS", "MonteCarloResult", "check_iterations", "check_seed", "data_quality_of", "difference",
           "monte_carlo"]
