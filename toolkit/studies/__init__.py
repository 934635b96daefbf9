"""Simulation studies of the toolkit's own statistics, run by :func:`toolkit.replication.run_study`.

Each module defines one :class:`toolkit.replication.Study` (``STUDY``) listed by name in
:data:`toolkit.replication.STUDIES`; ``recenter calibrate STUDY`` runs it. Interval studies summarise their
replications with :func:`coverage_summary` (coverage with its Wilson interval, bias, RMSE).

* ``kappa-coverage`` (:mod:`toolkit.studies.kappa_coverage`): the 95% bootstrap interval of pairwise Cohen's
  kappa on two binary raters with a known population kappa.
* ``cluster-coverage`` (:mod:`toolkit.studies.cluster_coverage`): item- vs cluster-bootstrap intervals of kappa
  and a correlation when items come in clusters with a cluster random effect on prevalence.

A new study (e.g. simulation-based calibration of a :mod:`toolkit.models` model) is a module here with a
module-level ``run(design, seed)``, a ``STUDY`` and an entry in :data:`toolkit.replication.STUDIES`.
"""

from __future__ import annotations

from toolkit.studies.coverage import coverage_summary

__all__ = ["coverage_summary"]
