"""Local rules: a cell's new colour as a function of what it sees, learned from the train pairs.

Many ARC tasks keep the grid's size and recolour cells by what surrounds them: a cell with two
red neighbours turns blue, background between two same-colour cells takes their colour, objects
of four cells turn green. A *rule* is a feature set (the cell's own colour and, say, its four
neighbours) and a table from feature keys to the colour such cells become. Keys the table lacks
keep their colour, so the table holds only the keys that change something, and a rule learned
on the train pairs applies to a test input whose keys it has seen or that keep their colour.

A rule is learned from pairs (grid, target) of one shape (the grid: a task's input, or any
program's value on it): for each feature set, from the simplest, the keys of the grid's cells
must map to one target colour each. The consistent sets with the fewest entries that also know
most keys of the test grids are kept (`learn_rules`), and each becomes a program
`(apply-rule G rule:SET:ENTRIES)`: the rule is a literal constant of type `rule` that the
grid DSL's literal hook reads back (`primitives.grid_literal`), so a program that uses one
parses, prints, checks and is stored like any other.

The feature families follow what same-size ARC tasks turn on: neighbours (4 and 8), counts of
non-background neighbours, the first colour seen along each of the four directions, the size of
a cell's object, whether its object (or background region) touches the border, and the cell's
position modulo 2 and 3.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hylo.domains.grids.grid import Grid

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(_DIGITS)
OUTSIDE = 10  # the colour of a neighbour off the grid
NONE = 11  # no colour seen along a direction
MAX_ENTRIES = 64  # a rule's table: more is memorising, not a rule
MAX_LITERAL = 4 * 1024
_S8 = ndimage.generate_binary_structure(2, 2)
_S4 = ndimage.generate_binary_structure(2, 1)


def _neighbours4(a: np.ndarray) -> list[np.ndarray]:
    h, w = a.shape
    p = np.pad(a, 1, constant_values=OUTSIDE)
    return [p[0:h, 1:w + 1], p[2:, 1:w + 1], p[1:h + 1, 0:w], p[1:h + 1, 2:]]


def _diagonals(a: np.ndarray) -> list[np.ndarray]:
    h, w = a.shape
    p = np.pad(a, 1, constant_values=OUTSIDE)
    return [p[0:h, 0:w], p[0:h, 2:], p[2:, 0:w], p[2:, 2:]]


def _count(ns: list[np.ndarray]) -> list[np.ndarray]:
    return [sum(((n != 0) & (n != OUTSIDE)).astype(np.int64) for n in ns)]


def _ray(a: np.ndarray) -> np.ndarray:
    """Per cell, the first non-background colour strictly above it (NONE if there is none)."""
    out = np.full(a.shape, NONE, dtype=np.int64)
    seen = np.full(a.shape[1], NONE, dtype=np.int64)
    for y in range(a.shape[0]):
        out[y] = seen
        seen = np.where(a[y] != 0, a[y], seen)
    return out


def _rays(a: np.ndarray) -> list[np.ndarray]:
    return [_ray(a), _ray(a[::-1])[::-1], _ray(a.T).T, _ray(a.T[::-1])[::-1].T]


def _diagonal_ray(a: np.ndarray) -> np.ndarray:
    """Per cell, the first non-background colour up and to the left of it (NONE if none)."""
    h, w = a.shape
    out = np.full(a.shape, NONE, dtype=np.int64)
    for y in range(1, h):
        above = np.where(a[y - 1, :-1] != 0, a[y - 1, :-1], out[y - 1, :-1])
        out[y, 1:] = above
    return out


def _diagonal_rays(a: np.ndarray) -> list[np.ndarray]:
    """The first colour seen along each diagonal: up-left, up-right, down-left, down-right."""
    return [_diagonal_ray(a), _diagonal_ray(a[:, ::-1])[:, ::-1],
            _diagonal_ray(a[::-1])[::-1], _diagonal_ray(a[::-1, ::-1])[::-1, ::-1]]


def _object_size(a: np.ndarray) -> list[np.ndarray]:
    labels, _ = ndimage.label(a != 0, structure=_S8)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return [np.minimum(sizes[labels], BASE - 1)]


def _touches_border(a: np.ndarray) -> list[np.ndarray]:
    """1 where the cell's 8-connected object, or its 4-connected background region, reaches
    the grid's edge."""
    out = np.zeros(a.shape, dtype=np.int64)
    for mask, s in ((a != 0, _S8), (a == 0, _S4)):
        labels, _ = ndimage.label(mask, structure=s)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        hit = np.isin(labels, edge[edge != 0])
        out[mask & hit] = 1
    return [out]


def _positions(k: int) -> Callable[[np.ndarray], list[np.ndarray]]:
    def pos(a: np.ndarray) -> list[np.ndarray]:
        ys, xs = np.indices(a.shape)
        return [ys % k, xs % k]
    return pos


def _line_colour(a: np.ndarray) -> np.ndarray:
    """Per row, its one non-background colour (NONE: none, NONE + 1: several)."""
    out = np.full(a.shape[0], NONE, dtype=np.int64)
    for y, row in enumerate(a):
        cs = np.unique(row[row != 0])
        if len(cs) == 1:
            out[y] = cs[0]
        elif len(cs) > 1:
            out[y] = NONE + 1
    return out


def _row_col_colours(a: np.ndarray) -> list[np.ndarray]:
    rows = np.broadcast_to(_line_colour(a)[:, None], a.shape)
    cols = np.broadcast_to(_line_colour(a.T)[None, :], a.shape)
    return [rows, cols]


def _in_box(a: np.ndarray) -> list[np.ndarray]:
    """1 where the cell lies in the bounding box of an 8-connected object."""
    labels, _ = ndimage.label(a != 0, structure=_S8)
    out = np.zeros(a.shape, dtype=np.int64)
    for sl in ndimage.find_objects(labels):
        if sl is not None:
            out[sl] = 1
    return [out]


def _lone_neighbour(a: np.ndarray) -> list[np.ndarray]:
    """Where the cell's only non-background 8-neighbour is (0-7; 8: none, 9: several) and its
    colour (NONE unless there is exactly one): stamps around single pixels generalise so."""
    ns = _neighbours4(a) + _diagonals(a)
    filled = np.stack([(n != 0) & (n != OUTSIDE) for n in ns])
    count = filled.sum(axis=0)
    where = np.argmax(filled, axis=0)
    colour = np.choose(where, ns)
    pos = np.where(count == 1, where, np.where(count == 0, 8, 9))
    return [pos, np.where(count == 1, colour, NONE)]


def _object_parity(a: np.ndarray) -> list[np.ndarray]:
    """The cell's row and column parity counted from its 8-connected object's top-left
    corner (background: 2, 2)."""
    labels, _ = ndimage.label(a != 0, structure=_S8)
    ys, xs = np.indices(a.shape)
    py = np.full(a.shape, 2, dtype=np.int64)
    px = np.full(a.shape, 2, dtype=np.int64)
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        m = labels[sl] == k
        py[sl][m] = (ys[sl][m] - sl[0].start) % 2
        px[sl][m] = (xs[sl][m] - sl[1].start) % 2
    return [py, px]


def _between(a: np.ndarray) -> list[np.ndarray]:
    """The colour a cell lies between along its row (the same colour seen first on both
    sides) and along its column; NONE where the two sides differ."""
    up, down, left, right = _rays(a)
    row = np.where(left == right, left, NONE)
    col = np.where(up == down, up, NONE)
    return [row, col]


def _holes(a: np.ndarray) -> list[np.ndarray]:
    """Per cell of an 8-connected object, how many background regions it encloses (at most
    9); background cells: 0."""
    labels, _ = ndimage.label(a != 0, structure=_S8)
    out = np.zeros(a.shape, dtype=np.int64)
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        inside = np.pad(labels[sl] != k, 1, constant_values=True)
        regions, count = ndimage.label(inside, structure=_S4)
        if count > 1:  # region 1 is the outside (it holds the padded corner)
            holes = len(set(np.unique(regions)) - {0, regions[0, 0]})
            out[sl][labels[sl] == k] = min(holes, 9)
    return [out]


def _object_traits(a: np.ndarray) -> list[np.ndarray]:
    """Per cell of an 8-connected object: its size rank (1 the largest, 2 the smallest, 3 both,
    0 neither; background 4), its number of colours, and how many objects share its shape
    (at most 9; background 0)."""
    labels, count = ndimage.label(a != 0, structure=_S8)
    rank = np.full(a.shape, 4, dtype=np.int64)
    colours = np.zeros(a.shape, dtype=np.int64)
    same = np.zeros(a.shape, dtype=np.int64)
    if count == 0:
        return [rank, colours, same]
    sizes = np.bincount(labels.ravel())[1:]
    big, small = sizes.max(), sizes.min()
    shapes: dict[bytes, int] = {}
    keys: list[bytes] = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        m = labels[sl] == k if sl is not None else np.zeros((1, 1), bool)
        key = bytes(m.shape) + np.packbits(m).tobytes()
        keys.append(key)
        shapes[key] = shapes.get(key, 0) + 1
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        m = labels[sl] == k
        size = sizes[k - 1]
        rank[sl][m] = (1 if size == big else 0) + (2 if size == small else 0)
        colours[sl][m] = len(np.unique(a[sl][m]))
        same[sl][m] = min(shapes[keys[k - 1]], 9)
    return [rank, colours, same]


#: feature families: name -> per-cell feature planes (values 0..BASE-1)
FAMILIES: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {
    "n4": _neighbours4,
    "n8": lambda a: _neighbours4(a) + _diagonals(a),
    "c4": lambda a: _count(_neighbours4(a)),
    "c8": lambda a: _count(_neighbours4(a) + _diagonals(a)),
    "ray": _rays,
    "dray": _diagonal_rays,
    "size": _object_size,
    "edge": _touches_border,
    "mod2": _positions(2),
    "mod3": _positions(3),
    "rc": _row_col_colours,
    "box": _in_box,
    "lone": _lone_neighbour,
    "opar": _object_parity,
    "between": _between,
    "holes": _holes,
    "obj": _object_traits,
}

#: the feature sets tried, simplest first: the cell's own colour, plus the families named
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "own": (),
    "c4": ("c4",),
    "c8": ("c8",),
    "edge": ("edge",),
    "box": ("box",),
    "size": ("size",),
    "holes": ("holes",),
    "obj": ("obj",),
    "mod2": ("mod2",),
    "opar": ("opar",),
    "between": ("between",),
    "lone": ("lone",),
    "n4": ("n4",),
    "ray": ("ray",),
    "dray": ("dray",),
    "rc": ("rc",),
    "mod3": ("mod3",),
    "n8": ("n8",),
    "c8-edge": ("c8", "edge"),
    "size-edge": ("size", "edge"),
}


#: planes per family (the greedy learner picks single planes)
PLANES: dict[str, int] = {f: len(fn(np.zeros((1, 1), np.int64))) for f, fn in FAMILIES.items()}
#: single planes a greedy rule reads at most, besides the cell's own colour
MAX_ATOMS = 3

#: rules over two grids of one shape (`apply-rule2`): a cell's colour in the first, its
#: colour in the second
PAIR_SETS: dict[str, tuple[str, ...]] = {"pair": ("other",)}


def _atoms(name: str) -> tuple[tuple[str, int | None], ...] | None:
    """The features of rule name `name`, as (family, plane or None for all of its planes):
    a named set (`FEATURE_SETS`, `PAIR_SETS`), or single planes joined by `+` (`n8.0+rc.1`, as
    the greedy learner writes them); None if the name is neither."""
    if name in FEATURE_SETS:
        return tuple((f, None) for f in FEATURE_SETS[name])
    if name in PAIR_SETS:
        return tuple((f, None) for f in PAIR_SETS[name])
    out: list[tuple[str, int | None]] = []
    for atom in name.split("+"):
        family, _, k = atom.partition(".")
        if family not in PLANES or not k.isdigit() or len(k) > 2 or int(k) >= PLANES[family]:
            return None
        out.append((family, int(k)))
    return tuple(out) if 0 < len(out) <= MAX_ATOMS else None


def features(a: np.ndarray, atoms: tuple[tuple[str, int | None], ...],
             other: np.ndarray | None = None) -> np.ndarray:
    """The feature planes of grid `a` (H, W, k): its own colour first, then each atom's
    (`other`: the second grid's colours, for pair rules)."""
    a64 = a.astype(np.int64)
    planes = [a64]
    cache: dict[str, list[np.ndarray]] = {}
    for f, k in atoms:
        if f == "other":
            if other is None or other.shape != a.shape:
                raise ValueError("a pair rule needs a second grid of the same shape")
            planes.append(other.astype(np.int64))
            continue
        if f not in cache:
            cache[f] = FAMILIES[f](a64)
        planes.extend(cache[f] if k is None else [cache[f][k]])
    return np.stack(planes, axis=-1)


def _family_set(name: str) -> tuple[tuple[str, int | None], ...]:
    atoms = _atoms(name)
    if atoms is None:
        raise ValueError(f"unknown rule features {name!r}")
    return atoms


def _keys(planes: np.ndarray) -> np.ndarray:
    """One int64 key per cell from its feature values (base BASE, own colour lowest)."""
    weights = BASE ** np.arange(planes.shape[-1], dtype=np.int64)
    return (planes * weights).sum(axis=-1)


@dataclass(frozen=True)
class Rule:
    """A feature set and the table of keys whose cells change colour (key -> new colour)."""

    name: str
    table: tuple[tuple[int, int], ...]
    #: keys see colours only as background or not (`_abstract`), and an entry's value is a
    #: colour 0-9 or `COPY + k`: the colour feature plane k shows at that cell
    abstract: bool = False

    def __post_init__(self) -> None:
        # `apply` looks keys up by binary search: the table is kept sorted by key
        object.__setattr__(self, "table", tuple(sorted(self.table)))

    @property
    def pair(self) -> bool:
        """Whether the rule reads a second grid (`apply-rule2`)."""
        return self.name in PAIR_SETS

    def apply(self, g: Grid, other: Grid | None = None) -> Grid:
        if self.pair != (other is not None):
            raise ValueError(f"rule {self.name} takes {'two grids' if self.pair else 'one grid'}")
        atoms = _family_set(self.name)
        planes = features(g.a, atoms, other.a if other else None)
        keys = _keys(_abstract(planes, atoms) if self.abstract else planes)
        out = g.a.copy()
        if self.table:
            ks = np.array([k for k, _ in self.table], dtype=np.int64)
            cs = np.array([c for _, c in self.table], dtype=np.int64)
            i = np.searchsorted(ks, keys)
            i = np.minimum(i, len(ks) - 1)
            hit = ks[i] == keys
            value = cs[i]
            copy = value >= COPY
            if copy.any():  # the colour a feature plane shows there (kept if it shows none)
                k = np.clip(value - COPY, 0, planes.shape[-1] - 1)
                shown = np.take_along_axis(planes, k[..., None], axis=-1)[..., 0]
                value = np.where(copy, shown, value)
                hit &= value < 10
            out[hit] = value[hit]
        return Grid(out)

    def literal(self) -> str:
        width = _width(self.name)
        entries = "_".join(_encode(k, width) + "-" + _out_char(c) for k, c in self.table)
        return f"rule:{'~' if self.abstract else ''}{self.name}:{entries}"


def _width(name: str) -> int:
    """How many features a key of feature set `name` has (the own colour included)."""
    one = np.zeros((1, 1), np.uint8)
    return int(features(one, _family_set(name), one).shape[-1])


def _out_char(c: int) -> str:
    return str(c) if c < 10 else _COPY_CHARS[c - COPY]


def _encode(key: int, width: int) -> str:
    out = []
    for _ in range(width):
        key, d = divmod(key, BASE)
        out.append(_DIGITS[d])
    return "".join(out)


_COPY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LITERAL = re.compile(
    r"rule:(~?)([a-z0-9.+-]+):((?:[0-9a-z]+-[0-9A-Z](?:_[0-9a-z]+-[0-9A-Z])*)?)", re.ASCII)


def parse_rule(text: str) -> Rule | None:
    """The rule a literal `rule:SET:ENTRIES` stands for; None if `text` is no rule literal."""
    if len(text) > MAX_LITERAL or not text.startswith("rule:"):
        return None
    m = _LITERAL.fullmatch(text)
    if m is None or _atoms(m.group(2)) is None:
        return None
    abstract, name = bool(m.group(1)), m.group(2)
    width = _width(name)
    table: dict[int, int] = {}
    for entry in filter(None, m.group(3).split("_")):
        key_text, out = entry.split("-")
        if len(key_text) != width or len(table) >= MAX_ENTRIES:
            return None
        key = sum(_DIGITS.index(ch) * BASE ** i for i, ch in enumerate(key_text))
        value = int(out) if out.isdigit() else COPY + _COPY_CHARS.index(out)
        if value >= COPY and (not abstract or value - COPY >= width):
            return None  # copies are for abstract rules, of a plane the key has
        if table and key <= max(table) or value == COPY or (not abstract
                                                            and key % BASE == value):
            return None  # one canonical text per rule: keys ascending, each changes a colour
        table[key] = value
    return Rule(name, tuple(table.items()), abstract)


@dataclass(frozen=True)
class Learned:
    rule: Rule
    unseen: float  # share of the test grids' cells whose key no train cell had


def _fit(name: str, grids: Sequence[np.ndarray], targets: Sequence[np.ndarray],
         queries: Sequence[np.ndarray], others: Sequence[np.ndarray] = (),
         query_others: Sequence[np.ndarray] = ()) -> Learned | None:
    fams = _family_set(name)
    keys = np.concatenate([_keys(features(g, fams, o)).ravel()
                           for g, o in zip(grids, others or [None] * len(grids), strict=True)])
    target = np.concatenate([t.ravel() for t in targets]).astype(np.int64)
    pairs = np.unique(keys * 16 + target)
    pair_keys = pairs // 16
    if len(np.unique(pair_keys)) != len(pair_keys):
        return None  # one key, two colours: these features do not decide the colour
    own = pair_keys % BASE
    colour = pairs % 16
    change = own != colour
    if not change.any() or int(change.sum()) > MAX_ENTRIES:
        return None
    table = tuple(zip(pair_keys[change].tolist(), colour[change].tolist(), strict=True))
    unseen = 0.0
    if queries:
        qkeys = np.concatenate([
            _keys(features(q, fams, o)).ravel()
            for q, o in zip(queries, query_others or [None] * len(queries), strict=True)])
        unseen = float(np.mean(~np.isin(qkeys, pair_keys)))
    return Learned(Rule(name, table), unseen)


#: an abstract rule's entry value COPY + k: the colour feature plane k shows at the cell
COPY = 16
#: feature planes that hold colours, per family (the others hold counts, sizes, positions)
COLOUR_PLANES: dict[str, frozenset[int]] = {
    "n4": frozenset(range(4)), "n8": frozenset(range(8)), "ray": frozenset(range(4)),
    "dray": frozenset(range(4)),
    "rc": frozenset(range(2)), "lone": frozenset({1}), "between": frozenset(range(2)),
    "other": frozenset({0}),
}


def _colour_columns(atoms: tuple[tuple[str, int | None], ...]) -> list[int]:
    """Which planes of `features(.., atoms)` hold colours (the own colour, plane 0, does)."""
    out, at = [0], 1
    for f, k in atoms:
        n = 1 if f == "other" else (PLANES[f] if k is None else 1)
        idx = range(n) if k is None else [k]
        out += [at + j for j, plane in enumerate(idx) if plane in COLOUR_PLANES.get(f, ())]
        at += n
    return out


def _abstract(planes: np.ndarray, atoms: tuple[tuple[str, int | None], ...]) -> np.ndarray:
    """`planes` with every colour 1-9 of a colour plane seen only as 'a colour' (1)."""
    out = planes.copy()
    cols = _colour_columns(atoms)
    sub = out[..., cols]
    out[..., cols] = np.where((sub >= 1) & (sub <= 9), 1, sub)
    return out


def _fit_abstract(name: str, grids: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                  queries: Sequence[np.ndarray]) -> Learned | None:
    """A rule whose keys see colours only as present or not, each key's cells becoming a
    fixed colour or the colour one of its colour planes shows: the same rule then holds for
    colours the train pairs never used (a cell between two reds turns red, between two
    blues blue)."""
    atoms = _family_set(name)
    raw = np.concatenate([features(g, atoms).reshape(-1, 1 + sum(
        1 if k is not None else PLANES[f] for f, k in atoms)) for g in grids])
    keys = _keys(_abstract(raw, atoms))
    target = np.concatenate([t.ravel() for t in targets]).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, target, raw = keys[order], target[order], raw[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    fixed = np.minimum.reduceat(target, starts) == np.maximum.reduceat(target, starts)
    cols = _colour_columns(atoms)
    copies = np.stack([np.minimum.reduceat((raw[:, c] == target).astype(np.int8), starts)
                       for c in cols], axis=-1).astype(bool)
    table: list[tuple[int, int]] = []
    for g, start in enumerate(starts):
        if copies[g, 0]:
            continue  # every cell keeps its colour
        if fixed[g]:
            table.append((int(keys[start]), int(target[start])))
        elif copies[g].any():
            table.append((int(keys[start]), COPY + cols[int(np.argmax(copies[g]))]))
        else:
            return None
    if not table or len(table) > MAX_ENTRIES:
        return None
    unseen = 0.0
    if queries:
        qkeys = np.concatenate([_keys(_abstract(features(q, atoms), atoms)).ravel()
                                for q in queries])
        unseen = float(np.mean(~np.isin(qkeys, keys[starts])))
    return Learned(Rule(name, tuple(table), True), unseen)


#: the largest share of a test grid's cells with keys unseen in training that a rule may have
MAX_UNSEEN = 0.25


def learn_rules(grids: Sequence[Grid], targets: Sequence[Grid], queries: Sequence[Grid],
                deadline: float | None = None, limit: int = 2) -> list[Rule]:
    """Rules that turn each of `grids` into its target (same shapes), ranked by how few test
    cells have keys training never saw, then by table size, then by simplicity; at most
    `limit`, with distinct predictions on `queries`."""
    if not grids or len(grids) != len(targets):
        return []
    if any(g.shape != t.shape for g, t in zip(grids, targets, strict=True)):
        return []
    ga = [g.a for g in grids]
    ta = [t.a for t in targets]
    qa = [q.a for q in queries]
    return [r for _, r in ranked_rules(ga, ta, qa, deadline, limit)]


def ranked_rules(ga: Sequence[np.ndarray], ta: Sequence[np.ndarray], qa: Sequence[np.ndarray],
                 deadline: float | None = None, limit: int = 2) -> list[tuple[float, Rule]]:
    """`learn_rules` on arrays, each rule with the share of test cells it has not seen."""
    found: list[tuple[float, int, int, Rule]] = []
    for order, name in enumerate(FEATURE_SETS):
        if deadline is not None and time.perf_counter() > deadline:
            break
        for fit in (_fit, _fit_abstract):
            learned = fit(name, ga, ta, qa)
            if learned is not None and learned.unseen <= MAX_UNSEEN:
                found.append((learned.unseen, len(learned.rule.table), order, learned.rule))
    found.sort(key=lambda r: r[:3])
    out: list[tuple[float, Rule]] = []
    seen: set[bytes] = set()
    for unseen, _, _, rule in found:
        preds = b"".join(rule.apply(Grid(q)).a.tobytes() for q in qa)
        if preds in seen:
            continue
        seen.add(preds)
        out.append((unseen, rule))
        if len(out) >= limit:
            break
    return out


def pair_rule(ga: Sequence[np.ndarray], gb: Sequence[np.ndarray], ta: Sequence[np.ndarray],
              qa: Sequence[np.ndarray], qb: Sequence[np.ndarray]) -> tuple[float, Rule] | None:
    """The cell-wise rule (colour in `ga`, colour in `gb`) -> target colour, if one is
    consistent on the train grids, with the share of test cells whose pair it has not seen."""
    learned = _fit("pair", ga, ta, qa, gb, qb)
    if learned is None or learned.unseen > MAX_UNSEEN:
        return None
    return learned.unseen, learned.rule


def _conflicts(keys: np.ndarray, target: np.ndarray) -> tuple[int, int]:
    """(cells whose colour is not their key's commonest target colour, distinct keys)."""
    pairs, counts = np.unique(keys * 16 + target, return_counts=True)
    pk = pairs // 16
    starts = np.flatnonzero(np.r_[True, pk[1:] != pk[:-1]])
    best = np.maximum.reduceat(counts, starts)
    return int(counts.sum() - best.sum()), len(starts)


def greedy_rule(ga: Sequence[np.ndarray], ta: Sequence[np.ndarray], qa: Sequence[np.ndarray],
                deadline: float | None = None) -> tuple[float, Rule] | None:
    """A rule on single feature planes chosen greedily: starting from the cell's own colour,
    add the plane that leaves the fewest cells whose key does not decide their colour (the
    fewer distinct keys on ties), until none is left, at most `MAX_ATOMS` planes. Fewer,
    well-chosen features generalise where a whole family (all eight neighbours) memorises."""
    if not ga or any(g.shape != t.shape for g, t in zip(ga, ta, strict=True)):
        return None
    per_grid = [{f: FAMILIES[f](g.astype(np.int64)) for f in PLANES} for g in ga]
    target = np.concatenate([t.ravel() for t in ta]).astype(np.int64)
    key = np.concatenate([g.ravel() for g in ga]).astype(np.int64)
    conflicts, _ = _conflicts(key, target)
    chosen: list[tuple[str, int]] = []
    scale = BASE
    while conflicts and len(chosen) < MAX_ATOMS:
        if deadline is not None and time.perf_counter() > deadline:
            return None
        best: tuple[int, int, tuple[str, int]] | None = None
        for f, n in PLANES.items():
            for k in range(n):
                if (f, k) in chosen:
                    continue
                plane = np.concatenate([pg[f][k].ravel() for pg in per_grid])
                c, distinct = _conflicts(key + plane * scale, target)
                if best is None or (c, distinct) < best[:2]:
                    best = (c, distinct, (f, k))
        if best is None or best[0] >= conflicts:
            return None
        f, k = best[2]
        chosen.append((f, k))
        key = key + np.concatenate([pg[f][k].ravel() for pg in per_grid]) * scale
        scale *= BASE
        conflicts = best[0]
    if conflicts or not chosen:
        return None
    name = "+".join(f"{f}.{k}" for f, k in chosen)
    learned = _fit(name, ga, ta, qa)
    if learned is None or learned.unseen > MAX_UNSEEN:
        return None
    return learned.unseen, learned.rule


def abstract_rule(name: str, ga: Sequence[np.ndarray], ta: Sequence[np.ndarray],
                  qa: Sequence[np.ndarray]) -> tuple[float, Rule] | None:
    """The abstract rule on the features of rule name `name` (e.g. the planes a greedy rule
    chose), if one is consistent, with the share of test cells whose key it has not seen."""
    learned = _fit_abstract(name, ga, ta, qa)
    if learned is None or learned.unseen > MAX_UNSEEN:
        return None
    return learned.unseen, learned.rule
