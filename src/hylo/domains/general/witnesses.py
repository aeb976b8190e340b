"""Witness functions of the general DSL's higher-order list primitives (`Domain.witnesses`).

Given the list `map f xs` (or `mapi`, `filter`) is applied to and the output it must give, a
witness says what `f` must do there: the points (its arguments, outermost first; the value its
body must take), or None when no `f` can. Bottom-up search deduces lambdas from them
(`hylo.search.bottom_up_deduce`); what it finds is checked like any other program, so a witness
can cost time, never a wrong result. Equality is the domain's (`values.equal`, `value_key`).
"""

from __future__ import annotations

from hylo.domains.general.values import equal, value_key
from hylo.domains.lists.witnesses import filter_witness_by, map_witness, mapi_witness

# the list domain's witnesses: map and mapi as they are, filter under this domain's equality
WITNESSES = {"map": map_witness, "mapi": mapi_witness,
             "filter": filter_witness_by(equal, value_key)}
