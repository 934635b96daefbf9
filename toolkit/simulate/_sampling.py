"""Random draws, independent or balanced (exact-moment / systematic / quota), from one numpy Generator.

Balanced sampling keeps every unit's distribution (each Bernoulli keeps its probability, each normal vector
is a rescaled normal vector) but pins sample moments to their expectations, so that one draw of the paper's
size lands on the model's expected statistics. See ``SimulationConfig.balanced``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit, ndtr, ndtri

__all__ = ["Sampler", "OrthogonalDraws"]


class Sampler:
    """Draws from ``rng``; ``balanced`` switches every method to its balanced variant."""

    def __init__(self, rng: np.random.Generator, balanced: bool) -> None:
        self.rng = rng
        self.balanced = balanced

    # -- normal ---------------------------------------------------------------------------------------
    def normal(self, n: int, sd: float = 1.0, *, weights: np.ndarray | None = None) -> np.ndarray:
        """``n`` draws of N(0, sd); balanced: centred and rescaled to sample mean 0, SD ``sd``.

        ``weights`` (balanced only) makes the moments weighted, e.g. item effects weighted by the number of
        units of each item so that the unit-level mean is exactly 0.
        """
        x = self.rng.standard_normal(n)
        if not self.balanced or n < 2 or sd == 0:
            return sd * x
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        x = x - np.average(x, weights=w)
        s = np.sqrt(np.average(x**2, weights=w))
        return sd * x / s if s > 0 else sd * x

    def normal_within(self, groups: np.ndarray, sd: float) -> np.ndarray:
        """N(0, sd) per unit; balanced: centred and rescaled within each group (e.g. users within source)."""
        x = self.rng.standard_normal(len(groups))
        if not self.balanced or sd == 0:
            return sd * x
        out = np.empty_like(x)
        for g in np.unique(groups):
            sel = groups == g
            v = x[sel]
            if len(v) < 2:
                out[sel] = 0.0
                continue
            v = v - v.mean()
            out[sel] = sd * v / v.std()
        return out

    # -- Bernoulli ------------------------------------------------------------------------------------
    def bernoulli(self, p: np.ndarray) -> np.ndarray:
        """Independent Bernoulli(p); balanced: randomized systematic sampling.

        Systematic sampling in random order selects unit ``k`` with probability exactly ``p[k]`` while the
        number selected is ``floor`` or ``ceil`` of ``sum(p)``.
        """
        p = np.asarray(p, dtype=float)
        if not self.balanced:
            return self.rng.random(p.shape) < p
        out = np.zeros(p.shape, dtype=bool)
        if p.size == 0:
            return out
        order = self.rng.permutation(p.size)
        c = np.cumsum(p.ravel()[order])
        start = self.rng.random()
        hits = np.floor(c - start) - np.floor(c - p.ravel()[order] - start)
        flat = out.ravel()
        flat[order] = hits > 0
        return flat.reshape(p.shape)

    def bernoulli_within(self, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
        """Bernoulli(p); balanced: systematic sampling separately within each stratum."""
        if not self.balanced:
            return self.bernoulli(p)
        out = np.zeros(p.shape, dtype=bool)
        for s in np.unique(strata):
            sel = strata == s
            out[sel] = self.bernoulli(p[sel])
        return out

    def exact_count(self, n: int, k: int) -> np.ndarray:
        """A boolean vector of length ``n`` with exactly ``k`` True at random positions."""
        out = np.zeros(n, dtype=bool)
        out[self.rng.choice(n, size=k, replace=False)] = True
        return out

    # -- ordinal (cumulative logit) -------------------------------------------------------------------
    def ordinal(
        self, latent: np.ndarray, p_gt: np.ndarray, cuts: np.ndarray, strata: np.ndarray
    ) -> np.ndarray:
        """Ratings from latent scores (``eta`` plus logistic noise) and cutpoints ``cuts``.

        Independent: ``1 + #{k: latent > cuts[k]}`` (the cumulative-logit model). Balanced: within each
        stratum the number of units rated above ``k`` is pinned to its expectation ``sum(p_gt[:, k])``
        (``p_gt[n, k]`` = the population ``P(y_n > k)``, integrating the unit's random effects; rounded
        without bias, see :meth:`_round_counts`) and given to the units with the highest latent scores: the
        cutpoints move by the stratum's sampling error, no more.
        """
        cuts = np.asarray(cuts, dtype=float)
        if not self.balanced:
            return 1 + (latent[:, None] > cuts[None, :]).sum(axis=1)
        y = np.ones(len(latent), dtype=np.int64)
        for s in np.unique(strata):
            idx = np.flatnonzero(strata == s)
            counts = self._round_counts(p_gt[idx].sum(axis=0))
            order = np.argsort(-latent[idx], kind="stable")
            rank = np.empty(len(idx), dtype=np.int64)
            rank[order] = np.arange(len(idx))
            y[idx] = 1 + (rank[:, None] < counts[None, :]).sum(axis=1)
        return y

    def _round_counts(self, expected: np.ndarray) -> np.ndarray:
        """Integers ``c_k`` with ``E c_k = expected_k``, ``|c_k - expected_k| < 1``, non-increasing in ``k``
        (as ``expected`` is) and a total within 1 of ``sum(expected)`` (systematic rounding of the
        fractional parts)."""
        base = np.floor(expected)
        frac = expected - base
        cum = np.cumsum(frac)
        u = self.rng.random()
        inc = np.floor(cum + u) - np.floor(np.concatenate([[0.0], cum[:-1]]) + u)
        return np.sort((base + inc).astype(np.int64))[::-1]

    # -- categorical ----------------------------------------------------------------------------------
    def categorical(self, n: int, probs: np.ndarray) -> np.ndarray:
        """``n`` draws from ``probs``; balanced: quota (counts rounded from ``n * probs``), shuffled."""
        probs = np.asarray(probs, dtype=float)
        probs = probs / probs.sum()
        if not self.balanced:
            return self.rng.choice(len(probs), size=n, p=probs)
        edges = np.round(np.cumsum(probs) * n).astype(int)
        counts = np.diff(np.concatenate([[0], edges]))
        return self.rng.permutation(np.repeat(np.arange(len(probs)), counts))

    # -- logistic -------------------------------------------------------------------------------------
    def logistic(self, n: int) -> np.ndarray:
        """Standard logistic draws; balanced: stratified (one draw in each of ``n`` equal quantile bins)."""
        if not self.balanced:
            return self.rng.logistic(size=n)
        u = (self.rng.permutation(n) + self.rng.random(n)) / n
        return logit(u)


class OrthogonalDraws:
    """Blocks of independent noise vectors over ``n`` units, balanced against each other and the design.

    Balanced stage-3 sampling: every noise vector has exact quantiles of its distribution within each stratum
    and is uncorrelated in-sample with the constant, the design directions (generators, mentions, item
    effects) and the other vectors. Independent mode returns plain draws.
    """

    def __init__(self, sampler: Sampler, n: int) -> None:
        self.sampler = sampler
        self.n = n
        self._basis = np.ones((n, 1)) / np.sqrt(n)
        self._strata: list[np.ndarray] = [np.arange(n)]

    def set_strata(self, labels: np.ndarray) -> None:
        """Later draws get exact marginal quantiles within each stratum (e.g. generator x mention)."""
        self._strata = [np.flatnonzero(labels == s) for s in np.unique(labels)]

    def add_direction(self, v: np.ndarray) -> None:
        """Make later draws orthogonal to ``v`` (a design vector or an already drawn effect)."""
        if not self.sampler.balanced:
            return
        v = np.asarray(v, dtype=float)
        v = v - self._basis @ (self._basis.T @ v)
        norm = np.linalg.norm(v)
        if norm > 1e-9 * np.sqrt(self.n):
            self._basis = np.column_stack([self._basis, v / norm])

    def block(self, kinds: list[str], *, iterations: int = 6) -> np.ndarray:
        """Independent noise vectors (columns), each ``"normal"`` (standard) or ``"logistic"``.

        Balanced: every column has exact quantiles of its distribution within each stratum (a Latin
        hypercube per stratum) and is uncorrelated in-sample, on the normal-score scale, with the other
        columns and with the design directions. This alternates orthogonalization (QR) with the rank-preserving
        quantile map, as in Iman & Conover (1982) with an identity target.
        """
        rng = self.sampler.rng
        m = len(kinds)
        x = rng.standard_normal((self.n, m))
        if not self.sampler.balanced:
            out = x.copy()
            for c, kind in enumerate(kinds):
                if kind == "logistic":
                    out[:, c] = rng.logistic(size=self.n)
            return out
        jitter = rng.random((self.n, m))
        basis = self._basis
        room = self.n - basis.shape[1] >= m
        for _ in range(iterations if room else 1):
            if room:
                x = x - basis @ (basis.T @ x)
                # Cholesky QR (much faster than LAPACK QR for tall, thin blocks): x <- x R^-1
                r = np.linalg.cholesky(x.T @ x).T
                x = x @ np.linalg.inv(r) * np.sqrt(self.n)
            x = ndtri(self._stratified_uniform(x, jitter))
        out = x
        for c, kind in enumerate(kinds):
            if kind == "logistic":
                out[:, c] = logit(ndtr(x[:, c]))
        for c in range(m):
            self.add_direction(out[:, c])
        return out

    def _stratified_uniform(self, x: np.ndarray, jitter: np.ndarray) -> np.ndarray:
        """Per column and stratum: uniforms ranked like ``x``, one in each of the stratum's equal bins."""
        u = np.empty_like(x)
        for idx in self._strata:
            k = len(idx)
            ranks = np.empty((k, x.shape[1]))
            order = np.argsort(x[idx], axis=0, kind="stable")
            np.put_along_axis(ranks, order, np.arange(1, k + 1, dtype=float)[:, None], axis=0)
            u[idx] = (ranks - jitter[idx]) / k
        return np.clip(u, 1e-12, 1 - 1e-12)
