"""Segmentation by recognition: which strokes (or pieces of ink) make up each digit, decided by
reading the candidates rather than by fixed rules.

The ink is first cut into atoms, pieces that belong to one digit each:
  * with the app's strokes, one atom per stroke (each ink pixel goes to the nearest stroke), in
    writing order: a digit's strokes are usually written one after another, and a stroke that goes
    back over an earlier one (a 7's bar or a 4's stem added late) is moved next to it;
  * without strokes (an image), one atom per connected piece of ink, a piece that is wider than a
    digit cut where two digits could touch (straight lines, upright or slanted as handwriting
    leans, that cross the least ink, and one least-ink winding path), in order left to right.
Candidates are runs of up to Priors.atoms consecutive atoms that could be one digit by their geometry.
The classifier and the digit detector read only the candidates that could be chosen, in small
batches (_choose: the same choice as reading all, for a fraction of the work; with strokes, a
candidate whose pen is bolder than MAX_PEN of its size, as a number written small with the app's
brush is, is read drawn again from its strokes with a pen that wide; in an image, one bolder than
INK_MAX_PEN is read with its ink eroded to about that), and each reading of the whole ink as a
sequence of candidates is scored by
  * recognition: log max(P(digit) * top probability, Priors.not_digit * P(not a digit)): it reads
    as some digit, or (much less likely) as some other sign;
  * geometry (log-priors in units of the row's typical digit height): gaps inside a digit, digits
    far wider than tall or far shorter than the others, neighbours overlapping in x (the strokes
    of one digit overlap; neighbours barely do), with strokes a digit starting left of the last.
Dynamic programming finds the best sequence (atoms far smaller than the digits may be left out).
The priors are one Priors set per path, tuned on training-side people (and, for images, numbers of
MNIST training digits) only. Reads stay bounded while the user draws: at most MAX_PIECES atoms (else
segment.find_digits' rules) and MAX_CANDIDATES candidates (CANDIDATES_PER_ATOM an atom, where more)
are weighed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import cv2
import numpy as np

from .ink import Ink
from .preprocess import SIZE, crop_to_mnist, ink_to_mnist, pair_image, strokes_to_mnist
from .reject import TEXT_MIN, TEXT_SHARE, WORD_GAP, WORD_NOT_DIGIT
from .segment import (
    FRAGMENT_GAP,
    FRAGMENT_HEIGHT,
    Segment,
    find_digits,
    group_by_x_overlap,
    kept_components,
    nearest_line,
    specks,
    x_overlap,
)
from .strokes import Stroke, as_points

# (n, 28, 28) images -> (n, 10) class probabilities (rows summing to 1), and -> (n,) P(not a digit)
Classify = Callable[[np.ndarray], np.ndarray]
Detect = Callable[[np.ndarray], np.ndarray]
Images = Callable[[Sequence[tuple[int, ...]]], np.ndarray]  # candidates -> (c, 28, 28) images

MAX_PIECES = 24  # strokes (or pieces, cut slices included) read by recognition at most; more: rules
STRETCH_SHARE = 0.25  # ... or, in an image, read in stretches, split leaving this share of the atoms each side
# Candidates weighed at most (singles and an image's whole pieces first, then groups by their shape's
# score); the models read only those that could be chosen. An image's were 32 while all were read:
# 48 reads 1 more of 400 'val' people's numbers and 3 more of 'train' people's, letters the same.
MAX_CANDIDATES = 48
# ... or CANDIDATES_PER_ATOM for each atom, where more: a long number cut in many slices has 20 or more
# singles and whole pieces, which left the 48 too few groups to hold each digit's ("808005" read
# "80800??", its 5's flag apart). 'val' people's numbers of 6-8 digits (bench.marks' long ones) on the
# image path: 132 -> 138 of 230 read right, their dates 68 -> 70 of 150 (a cap of 72 or more: the same);
# 800 shorter numbers as before, 1,000 of MNIST training digits touching 94.6 -> 94.9% (apart as
# before), 1,200 letters alone as before, 300 rows of letters between digits 161 -> 160.
CANDIDATES_PER_ATOM = 3
# Candidates: a group whose atoms leave a gap wider than MAX_GAP, or which is wider than MAX_WIDTH (in
# typical digit heights), is not read at all.
MAX_GAP = 0.6
MAX_WIDTH = 1.8
GEOMETRY_FLOOR = -8.0  # ... nor a group of several atoms whose shape alone scores below this
LINK_NEAR, LINK_FAR = 0.1, 0.3  # strokes: a digit's strokes linked when this near, not from this far
APART_OVERLAP = 0.3  # strokes or pieces side by side: their x-overlap under this share of the narrower
APART_TALL = 0.75  # with strokes, only when both are at least this tall (in heights): two whole digits
START_CAP = 99.0  # the most a digit starting too far left costs
# With strokes, a candidate is drawn again from them with a pen this share of its pen path's longer
# side when the canvas's pen is bolder: MNIST's strokes are about a tenth of a digit's size, and a
# number written small with the app's brush has strokes up to twice that (bench.stroke_dev).
MAX_PEN = 0.15
# Without strokes, a candidate's ink is eroded to a pen this share of its longer side (less the pen)
# when bolder: the same bold digits as MAX_PEN's, without the strokes to draw again (bench.image_dev,
# 'val' and 'train' people: whole numbers up 3 and 4.5 points, no number of MNIST training digits
# read worse; 0.15 to 0.22 gave the same within about a point). Not for slices: see _ink_pen.
INK_MAX_PEN = 0.18


@dataclass(frozen=True)
class Priors:
    """How one path scores a reading besides recognition: log-priors, linear penalties past a free
    allowance, lengths in the row's typical digit height. One set for strokes, one for images, each
    tuned on training-side people only (recognizer.unipen.person_split: 'val', for strokes 'train'
    too, by bench.stroke_dev), never 'test' ones."""

    atoms: int  # strokes (or slices of ink) per digit at most
    # How much less likely another sign is than a digit: with strokes, strokes that reach each other
    # may be a letter; in an image, a blob that is no digit is far more often digits touching.
    not_digit: float
    group: float  # added per digit: above 0 favours more, smaller digits
    gap: tuple[float, float]  # (free, weight): the widest x-gap between a digit's atoms
    wide: tuple[float, float]  # a digit's width
    short: tuple[float, float]  # a digit's height under the free share (lower-case letters are 0.6)
    apart: float  # per atom side by side with the rest of its digit (see _side_by_side)
    link: float = 0.0  # strokes: how far a digit's strokes are from hanging together (_unlinked)
    start: tuple[float, float] = (0.0, 0.0)  # strokes: a digit starting left of the last one's end
    overlap: tuple[float, float] = (0.0, 0.0)  # neighbours' x-overlap, share of the narrower
    cut: float = 0.0  # images: per stroke a cut crosses, on each side of the cut


STROKE_PRIORS = Priors(  # bench.stroke_dev: numbers of 'val' and 'train' people, letters kept whole no less often
    atoms=4,
    not_digit=0.12,
    group=-1.0,
    gap=(0.1, 3.0),
    wide=(0.8, 6.0),
    short=(0.6, 12.0),
    apart=1.5,
    link=0.75,
    start=(0.05, 10.0),
    overlap=(0.5, 4.0),
)
INK_PRIORS = Priors(
    atoms=6,
    # 'val' people's letters drawn alone read only "?" 64% (0.0006) -> 71% (0.01) -> 76% (0.03), as
    # slices of a letter that read as digits count for less; numbers of 'val' and 'train' people
    # read as many whole up to 0.02, their count within 1 of 400 up to 0.01 (2-3 fewer from 0.03)
    not_digit=0.01,
    group=-0.35,
    gap=(0.1, 12.0),
    wide=(1.1, 2.0),
    short=(0.6, 60.0),
    apart=0.5,
    overlap=(0.2, 4.0),
    cut=0.35,
)
# Touching digits in images: a piece wider than CUT_WIDTH heights is cut along up to CUTS straight lines
# at least CUT_APART heights apart that cross at most CUT_RUNS strokes holding at most CUT_INK stroke
# widths of ink and have ink in fewer than CUT_SOLID of their rows. (0.7 parts more touching pairs with
# a leaning 1, but cuts a K into "1" and "6"; 0.5 reads 1 point more of 'val' and 'train' people's
# numbers, but 14 points fewer of the 'val' people's letters, drawn alone, read only "?". Pieces of 0.5
# to 0.8 cut with each of their cuts priced 1 nat more, December 3: 400 'val' and 'train' numbers each
# counted right 97.0 -> 97.75% and 97.5 -> 97.75%, 1,200 'val' letters only "?" 72.8 -> 65.3%; priced
# 2 nats more, no number read differently. A detector pair (one of the two trained with letters'
# slices cut from 0.5, train_detector.LETTER_CUT_WIDTH; measured, not shipped), with pieces from 0.5
# cut here: 'val' count 98.25%, 'train' 97.75%, letters only "?" 69.0%; from 0.8: 97.25%, 97.5%,
# 78.5%: 4 numbers of 400 against 114 letters of 1,200. docs/measurements.md has the figures.)
CUT_WIDTH = 0.8
CUTS = 5
SLANTS = (0.0, -0.25, 0.25)  # the straight cuts' slants, x per y: upright, leaning right, left
# A slanted line is taken over an upright one only where it crosses SLANT_PRICE * SLANT_RUNS ** (strokes
# it crosses) stroke widths less ink: through thick ink a slant saves a little ink and slices a digit.
SLANT_PRICE = 0.1
SLANT_RUNS = 4.0
CUT_APART = 0.3
CUT_RUNS = 4
CUT_INK = 8.0
CUT_SOLID = 0.9  # a line with ink in this share of its rows runs through solid ink (a bar, a box), not between digits
CUT_MARGIN = 0.15  # cuts cross a piece's middle: none within this share of its width of either side
CUT_LOW = 0.5  # a piece less tall than this many digit heights (its pen's width aside) is never cut
CUT_SPREAD = 0.1  # two cuts of one piece are at least this share of its middle's width apart
WINDING_CUTS = 1  # ... and along this many least-ink winding paths (where touching digits leave a
WINDING_APART = 0.1  # curved gap); a cut within this many heights of one crossing fewer strokes is dropped
CUT_ROWS = 48  # the cut paths are searched on a copy about this many rows tall
CUT_STEP = 0.05  # cost of a step to the side, in ink pixels, so that paths stay straight where they can
CUT_TRIES = 12  # paths traced at most per cut wanted, cheapest end first
# In an image, a word's letters keep their neighbours whole (_letters_kept_whole): a slice of a cut piece
# within reject.WORD_GAP heights of a chosen letter (a whole piece read P(not a digit) above LETTER_ND)
# costs LETTER_CUT nats more, and the row is chosen again. 'val' and 'train' people's rows of a digit,
# 1-3 letters and a digit as images (300 each) read exactly 31.0 -> 39.3% and 41.7 -> 54.0% (3 nats:
# 37.7% and 52.3%; 10 nats as 6), 1,600 numbers of each read whole exactly as before, 2 of 'train'
# counted short (they read wrong before too).
LETTER_ND = 0.9
LETTER_CUT = 6.0
LETTER_TALL = 0.5  # ... and a letter at least this many heights tall (lower case: 0.6; a dash is flat)
# Without strokes, each piece that is cut is also read whole by the touching-digits model
# (recognizer.train_touching): its P(several digits) prices the piece whole against its slices,
# TOUCHING_WEIGHT nats per nat of log-odds (_touching_priced), and with it pieces from
# TOUCHING_CUT_WIDTH heights are cut (a narrow 1 against an 8). Chosen on 'val' people, whom it never
# saw (docs/measurements.md, "Touching digits or one letter"): weight 2 read 1,200 letters alone only
# "?" 91.25% and 300 rows of letters between digits exactly 54.3%, weight 1 90.0% and 51.7%, 800
# numbers counted alike (98.0%); cuts from 0.8 heights counted them 97.4%. (Measured with the prices
# put on after the candidates were chosen; put on before, as now: 91.25%, 53.7%, 98.1%.)
TOUCHING_WEIGHT = 2.0
TOUCHING_CUT_WIDTH = 0.5
# A piece the classifier reads whole as a sure digit (top probability WHOLE_SURE or more) and the
# detector as a digit (P(not a digit) WHOLE_DIGIT or less) is not priced as several digits
# (_unless_read_whole): the touching-digits model called 0.8% of single MNIST digits several (a bold
# round 0 or 8: "02" read "612"), and merged digits are seldom both. Of held-out pieces it called
# several ('val' people's; numbers of the first 10,000 MNIST training digits), this spares 14 of 25
# single MNIST digits and 3 of 4 real ones, and 1 of 504 and 3 of 703 merged pairs (at 0.9 and
# 0.2: 19 and 4 single digits, 5 and 7 merged pairs). Numbers of those MNIST digits read whole
# 95.8 -> 96.3% apart and 94.0 -> 94.5% touching (1,000 each); 'val' people's 800 numbers, 1,200
# letters alone and 300 rows of letters between digits read exactly as before (docs/measurements.md,
# "Touching digits or one letter").
WHOLE_SURE = 0.99
WHOLE_DIGIT = 0.05
# The digit-pair reader (recognizer.train_pairs) reads whole each piece the touching-digits model
# calls several digits (P above even) that the reading chose as one digit or two of its own
# (_read_pairs); where its top pair has PAIR_SURE or more, those are the digits. Bold digits that
# overlap are cut badly ("93" read "81") or kept whole as one ("19" read "1"). Chosen on 'val'
# people (docs/measurements.md, "Two digits touching, read whole"): 800 numbers read whole 88.9% ->
# 90.4%, 1,200 letters alone and 300 rows of letters between digits as before (53.7%). Without the
# doubt rule below: 91.0% and 52.0% (at 0.8: 91.1% and 51.3%; 0.95: 90.75% and 53.0%).
PAIR_SURE = 0.9
# ... but not where the reading doubts a digit of it (its top probability under PAIR_DOUBT, about the
# calibrated "not sure" threshold, 0.587 today, or P(not a digit) above reject.WORD_NOT_DIGIT, where
# a digit beside a letter is taken for a letter): that is more often a letter touching a digit
# ("3p" read "34"), which the touching-digits model never learnt.
PAIR_DOUBT = 0.6
TOUCHING_FLOOR = 0.01  # P(several digits) is clipped to [this, 1 - this]: no piece priced beyond 4.6 nats a weight
SLACK = 0.02  # x-ranges are widened by this share of the height on each side when they are compared
PROB_FLOOR = 1e-6  # probabilities are clipped here before the log


@dataclass(frozen=True)
class Group:
    """One digit found: where it is, its ink, the 28x28 image the models read, and their answers."""

    segment: Segment
    ink: Ink  # the digit's ink alone, cut from the canvas's (Segment.ink)
    image: np.ndarray  # (28, 28) float32
    probabilities: np.ndarray  # (10,) float64, sums to 1
    not_digit: float | None  # the detector's P(not a digit); None without a detector


@dataclass(frozen=True)
class _Atoms:
    """The atoms of the inked part of a canvas, in the order candidates are formed in."""

    labels: np.ndarray  # (h, w) int32: 0 background, else 1 + the atom's index in `order`
    boxes: np.ndarray  # (n, 4) int: x, y, w, h of each atom's ink, in the part
    pixels: np.ndarray  # (n,) ink pixels
    spans: np.ndarray  # (n, 2) float: x-range of the pen path (strokes) or of the ink less the pen
    heights: np.ndarray  # (n, 2) float: y-range, likewise
    strokes: list[tuple[int, ...]]  # the stroke indices of each atom (empty for images)
    height: float  # the row's typical digit height, px
    cuts: list[tuple[int, int, int]]  # images: (left atom, right atom, strokes crossed) where a piece was cut
    apart: dict[tuple[int, int], float] | None = None  # strokes: (earlier, later) -> their paths' distance, in heights
    starts: np.ndarray | None = None  # strokes: (n,) x where each stroke starts

    @cached_property
    def ranges(self) -> tuple[list[list[float]], list[list[float]]]:
        """spans and heights as lists of plain floats: candidates read a few atoms' at a time,
        where indexing numpy arrays costs more than the arithmetic."""
        return self.spans.tolist(), self.heights.tolist()

    @cached_property
    def box_list(self) -> list[list[int]]:
        """boxes as lists of plain ints (see ranges)."""
        return self.boxes.tolist()

    @cached_property
    def whole(self) -> set[tuple[int, ...]]:
        """The atoms of each piece of ink that was cut in slices, one tuple per piece."""
        slices: dict[int, list[int]] = {}
        for a, b, _ in self.cuts:  # cuts run left to right along a piece: a chain of slices
            chain = next((c for c in slices.values() if a in c), None)
            if chain is None:
                slices[a] = chain = [a]
            chain.append(b)
        return {tuple(sorted(chain)) for chain in slices.values()}

    @cached_property
    def sliced(self) -> set[int]:
        """The atoms that are slices of a cut piece."""
        return {a for piece in self.whole for a in piece}


def group_digits(
    ink: Ink,
    strokes: Sequence[Stroke] | None,
    classify: Classify,
    detect: Detect | None = None,
    touching: Detect | None = None,
    pairs: Classify | None = None,
) -> list[Group]:
    """The digits in a canvas's ink as Groups, left to right; [] when blank.

    strokes: the point lists the canvas was drawn from, in writing order, if known (the app's);
    classify: the classifier on a batch of 28x28 images, and detect: the detector (P(not a digit),
    in [0, 1]; None without one), both called only on the candidates that could be chosen
    (_choose), in a round or two of small batches; touching: the touching-digits model (P(several
    digits) of a piece read whole), called once on the pieces an image's reading may cut, with the
    classifier and the detector on those it calls several (_unless_read_whole; None without one:
    pieces are cut from CUT_WIDTH heights, as before it); pairs: the digit-pair reader (P of the
    100 pairs of a preprocess.pair_image), with touching only (_read_pairs). Ink of more than MAX_PIECES
    strokes or pieces (a scribble, noise) is grouped by segment.find_digits' rules instead: reading
    its candidates would cost too much time and memory while the user draws. An image's row of more
    pieces that the rules do not read as a line of print (_printed) is read in stretches instead
    (_stretches: a long number of bold digits)."""
    if ink.box is None:
        return []
    if touching is not None and detect is not None:
        touching = _unless_read_whole(touching, classify, detect)
    return _group(ink, strokes, classify, detect, touching, pairs)


def _group(
    ink: Ink,
    strokes: Sequence[Stroke] | None,
    classify: Classify,
    detect: Detect | None,
    touching: Detect | None,
    pairs: Classify | None,
) -> list[Group]:
    """group_digits of inked ink (a stretch always holds some), its touching-digits model already
    wrapped (_unless_read_whole)."""
    first = CUT_WIDTH if touching is None else TOUCHING_CUT_WIDTH
    atoms = _ink_atoms_of(ink, first) if strokes is None else None
    found = _read_candidates(ink, strokes, first, touching, atoms)
    if found is None and atoms is not None and first != CUT_WIDTH:  # narrow pieces cut, too many
        atoms = _ink_atoms_of(ink, CUT_WIDTH)  # slices (a long number): cut only the wide ones
        found = _read_candidates(ink, None, CUT_WIDTH, touching, atoms)
    if found is None:
        ruled = _rule_based(ink, strokes, classify, detect)
        stretches = [] if atoms is None or _printed(ruled) else _stretches(ink, atoms)
        if not stretches:
            return ruled
        return [g for part in stretches for g in _group(part, None, classify, detect, touching, pairs)]
    atoms, candidates, geometry, image_of = found

    def read(ks: list[int]) -> tuple[np.ndarray, np.ndarray | None]:
        batch = image_of([candidates[k] for k in ks])
        return classify(batch), None if detect is None else detect(batch)

    chosen, probs, not_digit = _choose(atoms, candidates, geometry, read)
    members = [candidates[k] for k in chosen]
    segments = [_segment(atoms, m, ink.box[:2]) for m in members]
    found = segments, list(image_of(members)), list(probs), list(not_digit)
    if pairs is not None and touching is not None:
        found = _read_pairs(atoms, members, found, image_of, touching, pairs, ink.box[:2])
    return _groups(ink, *found)


def _printed(groups: list[Group]) -> bool:
    """Whether the rules' reading of a row is a line of print (reject.text_lines' share of letters:
    at least TEXT_MIN, and TEXT_SHARE of the row, not digits by the detector): read by recognition,
    its letters' pieces join into sure digits. Long numbers had at most 4 of 9 so read, lines of
    print 7 of 10 or more (the rows with too many pieces of 50 numbers of 10 and 12 'val' people's
    digits, and 9 lines of Hershey print)."""
    letters = sum(g.not_digit is not None and g.not_digit > WORD_NOT_DIGIT for g in groups)
    return letters >= TEXT_MIN and letters >= TEXT_SHARE * len(groups)


def _stretches(ink: Ink, atoms: _Atoms) -> list[Ink]:
    """An image's row of more atoms than MAX_PIECES (a long number of bold digits cut in many
    slices) as two stretches, split at a gap between columns of ink (nothing above or below it)
    with a piece that is no speck on each side (a dotted line or dust goes with its digits, never
    alone: each stretch's specks are measured against them): the widest of those leaving STRETCH_SHARE
    of the atoms or more on each side (a digit's own gaps are narrower than the gaps between
    digits), else the one nearest the middle, so that a row is split about log(atoms) times, not
    once per atom; [] without one (the rules read it). _group reads each as a row of its own, split
    again where still too long: the rules read such rows far worse (docs/measurements.md, "Long
    numbers read in stretches"), and a digit's reading hardly depends on ink a gap away."""
    small = _specks(atoms).tolist()
    order = sorted(range(len(small)), key=lambda a: atoms.box_list[a][0])  # by left edge
    solid = np.cumsum([not small[a] for a in order]).tolist()  # pieces no speck up to each
    gaps, reach = [], -1  # (atoms left of it, first column, column after it); the ink's right edge so far
    for k, a in enumerate(order):
        x, _, width, _ = atoms.box_list[a]
        if k and x > reach + 1 and 0 < solid[k - 1] < solid[-1]:
            gaps.append((k, reach + 1, x))
        reach = max(reach, x + width - 1)
    if not gaps:
        return []
    n = len(order)
    middle = [g for g in gaps if min(g[0], n - g[0]) >= STRETCH_SHARE * n]
    if middle:
        _, start, stop = max(middle, key=lambda g: (g[2] - g[1], -abs(2 * g[0] - n)))
    else:
        _, start, stop = min(gaps, key=lambda g: abs(2 * g[0] - n))
    cut, rows = ink.box[0] + (start + stop) // 2, ink.pixels.shape[0]
    return [ink.band(0, rows, 0, cut), ink.band(0, rows, cut)]


def _read_pairs(
    atoms: _Atoms,
    members: list[tuple[int, ...]],
    found: tuple[list[Segment], list[np.ndarray], list[np.ndarray], list[float | None]],
    image_of: Images,
    touching: Detect,
    pairs: Classify,
    origin: tuple[int, int],
) -> tuple[list[Segment], list[np.ndarray], list[np.ndarray], list[float | None]]:
    """The chosen digits (their segments, images, probabilities and P(not a digit)) with each cut
    piece of two digits touching read whole by the digit-pair reader: a piece the touching-digits
    model calls several digits that the reading chose as one digit or two of its own (slices of it
    alone, all of them, none doubted: PAIR_DOUBT, WORD_NOT_DIGIT) takes the reader's pair where its
    top pair has PAIR_SURE or more. Two keep their segments and their detector's verdicts and take
    the pair's digits (the reader's marginals); one is parted where the piece's ink is halved
    between its slices, both parts with its verdict."""
    segments, images, probs, not_digit = (list(part) for part in found)
    if atoms.starts is not None or not atoms.whole:  # strokes, or nothing cut
        return segments, images, probs, not_digit

    def doubted(k: int) -> bool:
        return probs[k].max() < PAIR_DOUBT or (not_digit[k] is not None and not_digit[k] > WORD_NOT_DIGIT)

    held = []  # (piece, the chosen digits holding it)
    for piece in sorted(atoms.whole):
        inside = set(piece)
        holding = [k for k, m in enumerate(members) if inside.intersection(m)]
        whole = set().union(*(members[k] for k in holding)) == inside
        if 1 <= len(holding) <= 2 and whole and not any(doubted(k) for k in holding):
            held.append((piece, holding))
    if not held:
        return segments, images, probs, not_digit
    several = np.asarray(touching(image_of([piece for piece, _ in held])), np.float64).reshape(-1)
    held = [h for h, p in zip(held, several) if p > 0.5]
    if not held:
        return segments, images, probs, not_digit
    read = pairs(np.stack([pair_image(_segment(atoms, piece, origin).mask) for piece, _ in held]))
    parted = {}  # a digit kept whole -> the two it is parted into
    for (piece, holding), p in zip(held, read):
        if p.max() < PAIR_SURE:
            continue
        joint = np.asarray(p, np.float64).reshape(10, 10)
        sides = (joint.sum(axis=1), joint.sum(axis=0))  # P(left digit), P(right digit)
        if len(holding) == 2:
            left, right = sorted(holding, key=lambda k: segments[k].box[0] + segments[k].box[2] / 2)
            probs[left], probs[right] = sides
            continue
        order = sorted(piece, key=lambda a: atoms.spans[a].mean())  # its slices, left to right
        ink = np.cumsum(atoms.pixels[order])
        split = int(np.argmin(np.abs(ink[:-1] - ink[-1] / 2))) + 1
        parts = [tuple(sorted(order[:split])), tuple(sorted(order[split:]))]
        segments_of = [_segment(atoms, part, origin) for part in parts]
        parted[holding[0]] = (segments_of, list(image_of(parts)), sides, [not_digit[holding[0]]] * 2)
    if parted:  # rebuilt once: each part takes its digit's place
        rows = []
        for k, row in enumerate(zip(segments, images, probs, not_digit)):
            rows.extend(zip(*parted[k]) if k in parted else [row])
        segments, images, probs, not_digit = (list(column) for column in zip(*rows))
    return segments, images, probs, not_digit


def _unless_read_whole(touching: Detect, classify: Classify, detect: Detect) -> Detect:
    """touching, with P(several digits) at most even for a piece the classifier reads whole as a
    sure digit (WHOLE_SURE) and the detector as a digit (WHOLE_DIGIT): two digits touching are
    seldom both (a bold round MNIST 0 or 8 was priced as two digits and cut into "61" or "13")."""

    def several(images: np.ndarray) -> np.ndarray:
        p = np.array(touching(images), np.float64).reshape(-1)  # a copy: it is changed
        doubt = np.flatnonzero(p > 0.5)
        if len(doubt):
            sure = (classify(images[doubt]).max(axis=1) >= WHOLE_SURE) & (
                np.asarray(detect(images[doubt]), np.float64).reshape(-1) <= WHOLE_DIGIT
            )
            p[doubt[sure]] = 0.5
        return p

    return several


def _touching_priced(
    atoms: _Atoms, candidates: list[tuple[int, ...]], geometry: np.ndarray, image_of: Images, touching: Detect
) -> np.ndarray:
    """The candidates' geometry with each piece an image's reading cut priced whole by the
    touching-digits model: every candidate holding the whole piece (alone, or with other ink: a
    digit's loose stroke) gains TOUCHING_WEIGHT times the log-odds that it is one character, not
    several digits (P clipped to TOUCHING_FLOOR), so that a reading keeping the piece whole gains
    it once and one cutting it never; the geometry as it was with strokes or where nothing was cut.
    A letter cut into slices reads as digits ("e" as 12, "M" as 11), and two digits touching read
    whole as one; the classifier and the detector, reading one candidate at a time, cannot tell
    which the piece is."""
    if atoms.starts is not None or not atoms.cuts:
        return geometry
    pieces = sorted(atoms.whole)
    several = touching(image_of(pieces))
    several = np.clip(np.asarray(several, np.float64).reshape(-1), TOUCHING_FLOOR, 1 - TOUCHING_FLOOR)
    priced = geometry.copy()
    held = [set(members) for members in candidates]
    for piece, p in zip(pieces, several):
        whole = [k for k, members in enumerate(held) if members.issuperset(piece)]
        priced[whole] += TOUCHING_WEIGHT * np.log((1 - p) / p)
    return priced


def read_candidates(ink: Ink, cut_width: float = CUT_WIDTH) -> list[tuple[Segment, np.ndarray, bool]]:
    """The candidates group_digits reads in an image's ink (no strokes), each as its Segment, its
    28x28 image and whether it holds a slice of a piece that was cut without the whole piece (a
    slice, slices, or a whole piece with a slice of another); [] when blank or when the rules
    take over. The detector trains on them (train_detector): digits
    cut from their neighbours, and neighbours read as one, are what segmentation shows it.
    cut_width: pieces at least this many heights wide are cut (CUT_WIDTH, as group_digits does)."""
    found = None if ink.box is None else _read_candidates(ink, None, cut_width)
    if found is None:
        return []
    atoms, candidates, _, image_of = found
    images = image_of(candidates)
    return [
        (_segment(atoms, members, ink.box[:2]), image, _holds_slice(atoms, members))
        for members, image in zip(candidates, images)
    ]


def cut_pieces(ink: Ink, cut_width: float = TOUCHING_CUT_WIDTH) -> list[tuple[Segment, np.ndarray]]:
    """The pieces of an image's ink (no strokes) that are cut, pieces cut_width heights wide or
    more, each whole as its Segment and the 28x28 image it is read as; [] when none, when blank or
    when the rules take over. The touching-digits model trains on them (recognizer.train_touching)."""
    found = None if ink.box is None else _read_candidates(ink, None, cut_width)
    if found is None:
        return []
    atoms, candidates, _, image_of = found
    pieces = [members for members in candidates if members in atoms.whole]
    return [(_segment(atoms, members, ink.box[:2]), image) for members, image in zip(pieces, image_of(pieces))]


def _holds_slice(atoms: _Atoms, members: tuple[int, ...]) -> bool:
    """Whether a candidate holds a slice of a cut piece without the whole piece: it is read as cut,
    not eroded (_ink_pen)."""
    return bool(atoms.sliced.intersection(members)) and members not in atoms.whole


def _read_candidates(
    ink: Ink,
    strokes: Sequence[Stroke] | None,
    cut_width: float = CUT_WIDTH,
    touching: Detect | None = None,
    atoms: _Atoms | None = None,
) -> tuple[_Atoms, list[tuple[int, ...]], np.ndarray, Images] | None:
    """The atoms of the ink, the candidates worth reading (_keep), their shapes' scores
    (_geometry; with the touching-digits model, its prices too, before the candidates are chosen:
    a candidate cutting a piece that is one character is not worth reading, and the narrow cuts make
    many) and the function making candidates' 28x28 images (_imager: made when read); None when there
    are too many strokes or pieces to read (group_digits' rules take over). atoms: an image's, when
    already found (_ink_atoms_of with this cut_width)."""
    x0, y0, w, h = ink.box
    drawn = strokes is not None and any(len(s) for s in strokes)
    if drawn and sum(1 for s in strokes if len(s)) > MAX_PIECES:
        return None
    if drawn:
        atoms = _stroke_atoms(ink.mask[y0 : y0 + h, x0 : x0 + w], strokes, (x0, y0))
    elif atoms is None:
        atoms = _ink_atoms_of(ink, cut_width)
    if atoms is None or len(atoms.spans) > MAX_PIECES:
        return None
    candidates = _candidates(atoms)
    geometry = _geometry(atoms, candidates)
    image_of = _imager(ink, atoms, strokes, (x0, y0))
    if touching is not None:
        geometry = _touching_priced(atoms, candidates, geometry, image_of, touching)
    keep = _keep(candidates, geometry, atoms.whole, atoms=len(atoms.spans))
    candidates, geometry = [candidates[k] for k in keep], geometry[keep]
    return atoms, candidates, geometry, image_of


def _keep(
    candidates: list[tuple[int, ...]],
    geometry: np.ndarray,
    whole: Collection[tuple[int, ...]] = frozenset(),
    *,
    atoms: int,
    most: int | None = None,
) -> list[int]:
    """The candidates worth reading: every single atom and every whole piece that was cut (whole:
    read uncut, as the rules would), and the other groups of several whose shape alone scores above
    GEOMETRY_FLOOR, the `most` best in all at most (by default MAX_CANDIDATES, or CANDIDATES_PER_ATOM
    for each of the reading's `atoms` where more)."""
    most = max(MAX_CANDIDATES, CANDIDATES_PER_ATOM * atoms) if most is None else most
    must = [k for k, members in enumerate(candidates) if len(members) == 1 or members in whole]
    rest = set(range(len(candidates))) - set(must)
    groups = [k for k in sorted(rest) if geometry[k] > GEOMETRY_FLOOR]  # rest: groups of several
    groups = sorted(groups, key=lambda k: -geometry[k])[: max(0, most - len(must))]
    return sorted(must + groups)


def _images(
    ink: Ink,
    atoms: _Atoms,
    candidates: list[tuple[int, ...]],
    strokes: Sequence[Stroke] | None,
    origin: tuple[int, int],
) -> np.ndarray:
    """(c, 28, 28) images of all the candidates (_imager's), for those who read every one."""
    return _imager(ink, atoms, strokes, origin)(candidates)


def _imager(ink: Ink, atoms: _Atoms, strokes: Sequence[Stroke] | None, origin: tuple[int, int]) -> Images:
    """The function making candidates' (c, 28, 28) images, one candidate's ink at a time (only the
    images are kept: a few KB each, not a mask each): its ink cut from the canvas, or, with strokes,
    when the canvas's pen is bolder than MAX_PEN of the candidate's size, its strokes drawn again
    with a pen that wide (a number written small with the app's brush: the models read such bold
    digits worse); without strokes, its ink eroded to INK_MAX_PEN of its size where bolder. Each
    candidate's image is made once (the touching-digits model and the classifier read a piece alike)."""
    paths = {}  # the strokes as arrays, each converted once
    made: dict[tuple[int, ...], np.ndarray] = {}  # each candidate's image, made once

    def images(candidates: Sequence[tuple[int, ...]]) -> np.ndarray:
        for members in candidates:
            if members not in made:
                made[members] = image(members)
        return np.stack([made[m] for m in candidates]) if candidates else np.zeros((0, SIZE, SIZE), np.float32)

    def image(members: tuple[int, ...]) -> np.ndarray:
        pen = _thinner_pen(ink, atoms, members)
        if pen is None:
            segment = _segment(atoms, members, origin)  # its box is its ink's: cut to it already
            (x, y, w, h), mask = segment.box, segment.mask
            crop = np.where(mask, ink.pixels[y : y + h, x : x + w], 0).astype(np.uint8)
            return crop_to_mnist(crop, _ink_pen(atoms, members))
        own = [i for m in members for i in atoms.strokes[m]]
        for i in own:
            if i not in paths:
                paths[i] = as_points(strokes[i])
        return strokes_to_mnist([paths[i] for i in own], pen)

    return images


def _ink_pen(atoms: _Atoms, members: tuple[int, ...]) -> float | None:
    """In an image, INK_MAX_PEN: the candidate's ink is eroded where bolder; None with strokes, and
    for slices of a cut piece read without the rest of it: eroded, a slice of a bold 8 reads as a
    confident 1 (the cuts were tuned on slices read as cut; 'val' numbers read the same either way)."""
    if atoms.starts is not None:
        return None
    return None if _holds_slice(atoms, members) else INK_MAX_PEN


def _thinner_pen(ink: Ink, atoms: _Atoms, members: tuple[int, ...]) -> float | None:
    """With strokes, the pen a candidate is drawn again with when the canvas's is bolder than
    MAX_PEN of the candidate's pen path's longer side; else None (its ink is read as drawn)."""
    if atoms.starts is None:
        return None
    spans, ys = atoms.spans[list(members)], atoms.heights[list(members)]
    side = max(spans[:, 1].max() - spans[:, 0].min(), ys[:, 1].max() - ys[:, 0].min())
    return MAX_PEN * side if ink.stroke_width > MAX_PEN * side else None


def _groups(
    ink: Ink,
    segments: list[Segment],
    images: np.ndarray,
    probs: Sequence[np.ndarray],
    not_digit: Sequence[float | None],
) -> list[Group]:
    """The chosen segments as Groups with their inks and the models' answers, left to right."""
    groups = [
        Group(
            segment,
            segment.ink(ink),
            images[k],
            np.asarray(probs[k], dtype=np.float64),
            None if not_digit[k] is None else float(not_digit[k]),
        )
        for k, segment in enumerate(segments)
    ]
    return sorted(groups, key=lambda g: g.segment.box[0] + g.segment.box[2] / 2)


def _rule_based(ink: Ink, strokes: Sequence[Stroke] | None, classify: Classify, detect: Detect | None) -> list[Group]:
    """The digits as segment.find_digits groups them, read in one batched call; an image's ink
    eroded where bolder than INK_MAX_PEN of its size, as the candidates' is (_ink_pen)."""
    segments = find_digits(ink, strokes)
    if not segments:
        return []
    pen = None if strokes is not None and any(len(s) for s in strokes) else INK_MAX_PEN
    images = np.stack([ink_to_mnist(segment.ink(ink), pen) for segment in segments])
    probs = classify(images)
    not_digit = [None] * len(segments) if detect is None else detect(images)
    return _groups(ink, segments, images, probs, not_digit)


def _stroke_atoms(ink: np.ndarray, strokes: Sequence[Stroke], origin: tuple[int, int]) -> _Atoms | None:
    """One atom per stroke with ink of its own, late strokes moved next to the stroke they go over."""
    drawn = [i for i, s in enumerate(strokes) if len(s)]
    points = [as_points(strokes[i]) - origin for i in drawn]
    owner = nearest_line(ink, [[p] for p in points])  # each ink pixel: its nearest stroke's number
    if owner is None:  # every stroke off the canvas
        return None
    spans = np.array([(p[:, 0].min(), p[:, 0].max()) for p in points])
    heights = np.array([(p[:, 1].min(), p[:, 1].max()) for p in points])
    order = _writing_order(spans, LINK_NEAR * _typical_height(spans, heights))
    atoms = _make_atoms(owner, order, spans, heights, [(k,) for k in range(len(drawn))])
    if atoms is None:
        return None
    paths = [_simplify(points[k], atoms.height / 20) for (k,) in atoms.strokes]
    far = LINK_FAR * atoms.height
    apart = {
        (a, b): _distance(paths[a], paths[b], far) / atoms.height
        for b in range(len(paths))
        for a in range(max(0, b - STROKE_PRIORS.atoms + 1), b)
    }
    return replace(
        atoms,
        strokes=[(drawn[k],) for (k,) in atoms.strokes],
        apart=apart,
        starts=np.array([points[k][0, 0] for (k,) in atoms.strokes]),
    )


def _simplify(path: np.ndarray, step: float) -> np.ndarray:
    """The path's points about `step` apart along it (mouse jitter makes no crossings)."""
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    keep = np.flatnonzero(np.diff(np.floor(along / max(step, 1e-9)), prepend=-1.0) > 0)
    if keep[-1] != len(path) - 1:
        keep = np.append(keep, len(path) - 1)
    return path[keep]


def _distance(a: np.ndarray, b: np.ndarray, far: float) -> float:
    """How close two pen paths come (0 where they cross), px; `far` or more if their boxes are."""
    gap = np.maximum(np.maximum(a.min(axis=0) - b.max(axis=0), b.min(axis=0) - a.max(axis=0)), 0.0)
    if np.hypot(*gap) >= far:
        return max(far, float(np.hypot(*gap)))
    if _cross(a, b):
        return 0.0
    return min(_point_to_path(a, b), _point_to_path(b, a))


def _point_to_path(points: np.ndarray, path: np.ndarray) -> float:
    """The least distance from any of `points` to the polyline `path`."""
    if len(path) == 1:
        return float(np.hypot(*(points - path[0]).T).min())
    start, step = path[None, :-1], (path[1:] - path[:-1])[None]
    rel = points[:, None] - start
    t = np.clip((rel * step).sum(-1) / np.maximum((step * step).sum(-1), 1e-9), 0.0, 1.0)
    gap = rel - t[..., None] * step
    return float(np.sqrt((gap * gap).sum(-1).min()))


def _cross(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two pen paths cross (a segment of each strictly inside the other's)."""
    if len(a) < 2 or len(b) < 2:
        return False
    p, r = a[:-1, None, :], (a[1:] - a[:-1])[:, None, :]
    q, s = b[None, :-1, :], (b[1:] - b[:-1])[None, :, :]
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / denom
        u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / denom
    return bool(((t > 0) & (t < 1) & (u > 0) & (u < 1)).any())


def _writing_order(spans: np.ndarray, near: float) -> list[int]:
    """The strokes in writing order, except that a stroke that goes back left of where the writing
    had reached (the furthest start of a stroke so far), to an earlier stroke it overlaps or lies
    within `near` px beside (a 4's stem or a 7's bar added after the next digit; every 7's bar
    added at the end, left to right: compared with the stroke before it alone, only the first went
    back), is moved right after that one."""
    order = [0] if len(spans) else []
    for k in range(1, len(spans)):
        j = _written_over(spans, k, near) if spans[k].mean() < spans[:k, 0].max() else -1
        if j >= 0:
            order.insert(order.index(j) + 1, k)
        else:
            order.append(k)
    return order


def _written_over(spans: np.ndarray, k: int, near: float) -> int:
    """The earlier stroke (before k - 1) that stroke k, which lies back left of where the writing had
    reached, was added to: the one it overlaps most in x, else the nearest one left of it if that is
    within `near` px and nearer than the stroke before (a 5's flag or a 4's stem beside its digit;
    a digit added later in front of a number or between two digits is no part of either); -1 if none."""
    if k < 2:
        return -1
    best, j = max((x_overlap(spans[k], spans[j], 1.0), j) for j in range(k - 1))
    if best > 0:
        return j
    gaps = spans[k, 0] - spans[: k - 1, 1]
    gaps[gaps < 0] = np.inf  # strokes right of k
    nearest = int(np.argmin(gaps))
    before = max(spans[k - 1, 0] - spans[k, 1], spans[k, 0] - spans[k - 1, 1])  # the gap to k - 1, either side
    return nearest if gaps[nearest] < min(near, before) else -1


def _ink_atoms_of(ink: Ink, cut_width: float) -> _Atoms | None:
    """_ink_atoms of an image's inked part, with its pen."""
    x0, y0, w, h = ink.box
    return _ink_atoms(ink.mask[y0 : y0 + h, x0 : x0 + w], max(1.0, ink.stroke_width / 2), cut_width)


def _ink_atoms(ink: np.ndarray, radius: float, cut_width: float = CUT_WIDTH) -> _Atoms | None:
    """One atom per connected piece of an ink mask, a piece at least cut_width heights wide cut
    where digits may touch; radius: half the pen's width, px."""
    count, components, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    ids = kept_components(stats)
    if not len(ids):
        return None
    x, y = stats[ids, cv2.CC_STAT_LEFT], stats[ids, cv2.CC_STAT_TOP]
    w, h = stats[ids, cv2.CC_STAT_WIDTH], stats[ids, cv2.CC_STAT_HEIGHT]
    spans = _deflate(np.stack([x, x + w - 1], axis=1), radius)
    heights = _deflate(np.stack([y, y + h - 1], axis=1), radius)
    typical = _typical_height(spans, heights)
    lookup = np.zeros(count, np.int32)
    lookup[ids] = np.arange(1, len(ids) + 1)
    for fragment, piece in _fragments(spans, heights, typical).items():
        lookup[ids[fragment]] = piece + 1
    labels = lookup[components]
    boxes, pixels = _piece_boxes(stats, lookup, len(ids))
    cuts = []  # (left label, right label, strokes the cut crosses): a wide piece's slices, left to right
    next_label = len(ids) + 1
    sliced = []  # (its box, its labels) of each piece cut
    for k, (bx, by, bw, bh) in enumerate(boxes.copy(), start=1):
        if bw - 2 * radius < cut_width * typical:
            continue
        region = labels[by : by + bh, bx : bx + bw]  # a view: relabelling it relabels the atoms
        left, first = k, next_label
        for boundary, runs in _cuts(region == k, typical, radius):
            right = (np.arange(bw)[None, :] >= boundary[:, None]) & (region == left)
            region[right] = next_label
            cuts.append((left, next_label, runs, bx + float(boundary.mean())))
            left, next_label = next_label, next_label + 1
        sliced.append(((bx, by, bw, bh), [k, *range(first, next_label)]))
    boxes, pixels = _slice_boxes(labels, boxes, pixels, sliced, next_label - 1)
    spans = _deflate(np.stack([boxes[:, 0], boxes[:, 0] + boxes[:, 2] - 1], axis=1), radius)
    heights = _deflate(np.stack([boxes[:, 1], boxes[:, 1] + boxes[:, 3] - 1], axis=1), radius)
    for a, b, _, column in cuts:  # slices meet at the cut: no pen to take off there
        spans[a - 1, 1], spans[b - 1, 0] = column - 0.5, column - 0.5
    ranges = spans.tolist()
    order = sorted(range(next_label - 1), key=lambda a: ((ranges[a][0] + ranges[a][1]) / 2, ranges[a][0]))
    return _make_atoms(
        labels,
        order,
        spans,
        heights,
        [() for _ in range(next_label - 1)],
        typical,
        [(a - 1, b - 1, runs) for a, b, runs, _ in cuts],
        (boxes, pixels),
    )


def _piece_boxes(stats: np.ndarray, lookup: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) ink boxes (x, y, w, h) and (n,) pixel counts of pieces 1..n made of the connected
    components that lookup maps to them, from the components' stats (no pass over the image)."""
    boxes, pixels = np.zeros((n, 4), np.int64), np.zeros(n, np.int64)
    low, high = np.full((n, 2), np.iinfo(np.int64).max), np.full((n, 2), -1)
    for c in np.flatnonzero(lookup):
        k = lookup[c] - 1
        x, y, w, h, area = stats[c]
        low[k] = np.minimum(low[k], (x, y))
        high[k] = np.maximum(high[k], (x + w, y + h))
        pixels[k] += area
    inked = pixels > 0
    boxes[inked, :2], boxes[inked, 2:] = low[inked], high[inked] - low[inked]
    return boxes, pixels


def _slice_boxes(
    labels: np.ndarray, boxes: np.ndarray, pixels: np.ndarray, sliced: list, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The boxes and pixel counts of labels 1..n (as label_boxes) after pieces were cut in slices:
    those of the pieces left whole as they were, those of each cut piece's slices found in its box
    (a slice left without ink: an empty box)."""
    from scipy.ndimage import find_objects  # here: importing scipy.ndimage held the app's window back 0.2-0.9 s

    boxes = np.concatenate([boxes, np.zeros((n - len(boxes), 4), np.int64)])
    pixels = np.concatenate([pixels, np.zeros(n - len(pixels), np.int64)])
    for (bx, by, bw, bh), own in sliced:
        region = labels[by : by + bh, bx : bx + bw]
        found, count = find_objects(region, max(own)), np.bincount(region.ravel(), minlength=max(own) + 1)
        for label in own:
            if found[label - 1] is None:  # a slice left without ink
                boxes[label - 1], pixels[label - 1] = 0, 0
                continue
            rows, cols = found[label - 1]
            boxes[label - 1] = (bx + cols.start, by + rows.start, cols.stop - cols.start, rows.stop - rows.start)
            pixels[label - 1] = count[label]
    return boxes, pixels


def _fragments(spans: np.ndarray, heights: np.ndarray, typical: float) -> dict[int, int]:
    """Pieces much shorter than a digit (a broken-off stroke end, a loose flag or dot) and the piece
    each belongs to: the full-height piece it overlaps most in x, or is nearest to, if that is within
    FRAGMENT_GAP heights. Joined before anything is read, so that a digit broken in many pieces
    stays one candidate."""
    tall = heights[:, 1] - heights[:, 0]
    full = np.flatnonzero(tall >= FRAGMENT_HEIGHT * typical)
    out: dict[int, int] = {}
    if not full.size:
        return out
    for j in np.flatnonzero(tall < FRAGMENT_HEIGHT * typical):
        gaps = np.maximum(spans[j, 0], spans[full, 0]) - np.minimum(spans[j, 1], spans[full, 1])  # < 0: overlap
        if gaps.min() <= FRAGMENT_GAP * typical:
            out[int(j)] = int(full[gaps.argmin()])
    return out


def _deflate(ranges: np.ndarray, radius: float) -> np.ndarray:
    """Ink extents shrunk by the pen's radius on both sides (never below a point)."""
    ranges = ranges.astype(np.float64)
    mid = ranges.mean(axis=1)
    lo = np.minimum(ranges[:, 0] + radius, mid)
    hi = np.maximum(ranges[:, 1] - radius, mid)
    return np.stack([lo, hi], axis=1)


def _typical_height(spans: np.ndarray, heights: np.ndarray) -> float:
    """A digit's height in this row: the median height of the pieces grouped by x-overlap, leaving
    out groups under half the tallest (fragments, specks)."""
    groups = group_by_x_overlap([tuple(s) for s in spans])
    tall = np.array([heights[g, 1].max() - heights[g, 0].min() for g in groups])
    return max(float(np.median(tall[tall >= 0.5 * tall.max()])), 1.0)


def _cuts(mask: np.ndarray, typical: float, radius: float) -> list[tuple[np.ndarray, int]]:
    """Where two touching digits could meet in a piece's mask, left to right, each as (its column
    in every row of the mask, strokes crossed): the straight cuts (_straight_cuts) and the winding
    ones (_winding_cuts); of two within WINDING_APART heights of each other on average, the one
    that crosses fewer strokes."""
    found = _straight_cuts(mask, typical, radius)
    found += _winding_cuts(mask, typical, radius)
    out: list[tuple[np.ndarray, int]] = []
    for path, runs in sorted(found, key=lambda cut: cut[1]):  # stable: straight first on a tie
        if all(np.abs(path - other).mean() >= WINDING_APART * typical for other, _ in out):
            out.append((path, runs))
    return sorted(out, key=lambda cut: cut[0].mean())


def _straight_cuts(
    mask: np.ndarray, typical: float, radius: float, slants: Sequence[float] | None = None
) -> list[tuple[np.ndarray, int]]:
    """Where two touching digits could meet in a piece's mask: straight lines, upright or slanted
    by one of SLANTS (x per y: handwriting leans, and so does the boundary between neighbours),
    through its middle 70% that cross the least ink, each crossing at most CUT_RUNS strokes holding
    at most CUT_INK stroke widths of ink and not solid (CUT_SOLID), no two nearer than CUT_APART
    heights at the middle row; the CUTS best (an upright line first on a tie), left to right, each
    as (its column in every row of the mask, strokes crossed). Straight: neighbours written side
    by side are parted by such a line even where their pen paths overlap, while a path free to
    wind round the ink follows one digit's own strokes instead (measured on 'val' and 'train' people's numbers)."""
    h, w = mask.shape
    lo, hi = max(1, int(CUT_MARGIN * w)), min(w - 1, int(np.ceil((1 - CUT_MARGIN) * w)))
    if h - 2 * radius < CUT_LOW * typical or hi <= lo:
        return []
    slants = np.asarray(SLANTS if slants is None else slants, np.float64)
    rows = np.arange(h)
    shifts = np.round(slants[:, None] * (rows - (h - 1) / 2)[None, :]).astype(np.int64)
    pad = int(np.abs(shifts).max())  # lines may leave the mask at the top or bottom: no ink there
    padded = np.zeros((h, w + 2 * pad), bool)
    padded[:, pad : pad + w] = mask
    start = (rows * (w + 2 * pad) + pad)[None, :] + shifts  # (slant, row): where column 0's line is
    along = padded.ravel()[start[:, :, None] + np.arange(lo, hi)[None, None, :]]  # (slant, row, column at the middle)
    ink = along.sum(axis=1)
    runs = along[:, 0] + (along[:, 1:] & ~along[:, :-1]).sum(axis=1)  # strokes crossed: ink starting
    order = np.argsort(np.abs(slants), kind="stable")  # the upright line first on a tie
    slanted = slants[:, None] != 0
    price = ink + slanted * SLANT_PRICE * SLANT_RUNS**runs * 2 * radius
    # A slanted line that crosses no ink passes beside the piece's end: it parts nothing
    usable = ((runs >= 1) | ~slanted) & (runs <= CUT_RUNS) & (ink <= CUT_INK * 2 * radius) & (ink < CUT_SOLID * h)
    cost = np.where(usable, price, np.inf)[order]
    apart = int(np.ceil(max(CUT_SPREAD * (hi - lo), CUT_APART * typical)))
    chosen: list[tuple[int, int]] = []
    while len(chosen) < CUTS:  # the cheapest line left, then none nearer to it than `apart`
        slant, k = np.unravel_index(int(np.argmin(cost)), cost.shape)
        if cost[slant, k] == np.inf:
            break
        chosen.append((int(order[slant]), int(k)))
        cost[:, max(0, k - apart + 1) : k + apart] = np.inf
    return [(lo + k + shifts[slant], int(runs[slant, k])) for slant, k in sorted(chosen, key=lambda c: c[1])]


def _winding_cuts(mask: np.ndarray, typical: float, radius: float) -> list[tuple[np.ndarray, int]]:
    """Where two touching digits could meet in a piece's mask: paths from top to bottom through its
    middle 70% that cross the least ink (dynamic programming, one column to the side per row at
    most, on a copy about CUT_ROWS rows tall), each crossing at most CUT_RUNS strokes holding at
    most CUT_INK stroke widths of ink and not solid; the WINDING_CUTS best, apart by a tenth of the
    width, left to right. Each as (the path's column in every row of the mask, strokes crossed)."""
    h, w = mask.shape
    if h - 2 * radius < CUT_LOW * typical:
        return []
    scale = min(1.0, CUT_ROWS / h)
    small = cv2.resize(
        mask.astype(np.float32), (max(3, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    rows, cols = small.shape
    lo, hi = max(1, int(CUT_MARGIN * cols)), min(cols - 1, int(np.ceil((1 - CUT_MARGIN) * cols)))
    if hi - lo < 1:
        return []
    ink = small[:, lo:hi]
    n = hi - lo
    # totals[y, 1 + x]: the least ink of a path from the top row to column x of row y (inf beside)
    totals = np.full((rows, n + 2), np.inf, np.float32)
    totals[0, 1:-1] = ink[0]
    step, best = np.float32(CUT_STEP), np.empty(n, np.float32)
    for y in range(1, rows):  # in place: a row costs a few small numpy calls, and there are ~CUT_ROWS
        previous = totals[y - 1]
        np.minimum(previous[:-2], previous[2:], out=best)
        best += step
        np.minimum(best, previous[1:-1], out=best)
        np.add(best, ink[y], out=totals[y, 1:-1])
    # -1, 0, 1: the column before, in the row above (straight down on a tie, then from the left)
    above = totals[:-1]
    from_left, here, from_right = (
        above[:, :-2] + np.float32(CUT_STEP),
        above[:, 1:-1],
        above[:, 2:] + np.float32(CUT_STEP),
    )
    came = np.zeros(ink.shape, np.int8)
    came[1:][from_left < here] = -1
    came[1:][from_right < np.minimum(from_left, here)] = 1
    total = totals[-1, 1:-1]
    # The cheapest path ending in each column of the bottom row, cheapest first (not only the
    # valleys of that cost: where digits overlap, the cut between them is seldom the cheapest).
    ends = np.argsort(total, kind="stable")
    width_px = max(2 * radius * scale, 1.0)
    # Trace the cheapest CUT_TRIES * WINDING_CUTS paths back up at once, one row at a time.
    tried = ends[: CUT_TRIES * WINDING_CUTS]
    steps, columns = came.tolist(), tried.tolist()  # in plain Python: a dozen paths, a step per row
    traced = [columns]
    for y in range(rows - 1, 0, -1):
        columns = [x + steps[y][x] for x in columns]
        traced.append(columns)
    paths = np.array(traced[::-1], np.int64).reshape(rows, len(tried))
    along = ink[np.arange(rows)[:, None], paths]
    inked = along > 0.5
    all_runs = inked[0] + (inked[1:] & ~inked[:-1]).sum(axis=0)  # strokes crossed: ink starting
    solid = inked.sum(axis=0) >= CUT_SOLID * rows
    usable = (all_runs <= CUT_RUNS) & (along.sum(axis=0) <= CUT_INK * width_px) & ~solid
    means = paths.mean(axis=0)
    chosen: list[int] = []
    for k in np.flatnonzero(usable):
        if len(chosen) == WINDING_CUTS:
            break
        if any(abs(tried[k] - tried[j]) < CUT_SPREAD * n or abs(means[k] - means[j]) < CUT_SPREAD * n for j in chosen):
            continue
        chosen.append(int(k))
    found = [(paths[:, k], int(all_runs[k])) for k in chosen]
    out = []
    for path, runs in sorted(found, key=lambda f: f[0].mean()):
        column = (path + lo + 0.5) / scale  # back to the mask's columns, every row
        boundary = np.interp(np.arange(h), (np.arange(rows) + 0.5) / scale - 0.5, column)
        out.append((np.round(boundary).astype(np.int64), runs))
    return out


def label_boxes(labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) ink boxes (x, y, w, h) and (n,) pixel counts of labels 1..n (a label without ink:
    an empty box)."""
    from scipy.ndimage import find_objects  # here: importing scipy.ndimage held the app's window back 0.2-0.9 s

    pixels = np.bincount(labels.ravel(), minlength=n + 1)[1 : n + 1]
    boxes = np.zeros((n, 4), np.int64)
    for k, found in enumerate(find_objects(labels, n)):
        if found is not None:
            rows, cols = found
            boxes[k] = cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start
    return boxes, pixels


def _make_atoms(
    labels: np.ndarray,
    order: list[int],
    spans: np.ndarray,
    heights: np.ndarray,
    strokes: list[tuple[int, ...]],
    typical: float | None = None,
    cuts: Sequence[tuple[int, int, int]] = (),
    found: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Atoms | None:
    """Atoms in `order` (indices into the label values 1.. and the other lists), those without ink
    left out, relabelled 1..n in that order; typical: the row's digit height if known; cuts:
    (left, right, strokes crossed) of the slices of cut pieces, in the same indices; found: the
    labels' boxes and pixel counts (label_boxes) if known."""
    boxes, pixels = label_boxes(labels, len(spans)) if found is None else found
    order = [a for a in order if pixels[a]]
    if not order:
        return None
    lookup = np.zeros(len(spans) + 1, np.int32)
    lookup[np.array(order) + 1] = np.arange(1, len(order) + 1)
    typical = typical or _typical_height(spans[order], heights[order])
    where = lookup[1:] - 1  # old index -> new index (-1: left out)
    kept = [(int(where[a]), int(where[b]), runs) for a, b, runs in cuts if where[a] >= 0 and where[b] >= 0]
    return _Atoms(
        lookup[labels],
        boxes[order],
        pixels[order],
        spans[order],
        heights[order],
        [strokes[a] for a in order],
        typical,
        kept,
    )


def _specks(atoms: _Atoms) -> np.ndarray:
    """Atoms far smaller than the digits (a stray click, a noise dot): they may be left out. A slice
    of a cut piece never is one, and a piece narrower than CUT_WIDTH heights (cut only with the
    touching-digits model) is measured whole, as it was before such pieces were cut: its slices are
    no measure of the digits' size (a colon's dots were as big as the largest slice, and read "?")."""
    boxes, pixels = atoms.boxes.copy(), atoms.pixels.copy()
    spans = atoms.ranges[0]
    for piece in atoms.whole:
        members = list(piece)
        if spans[piece[-1]][1] - spans[piece[0]][0] < CUT_WIDTH * atoms.height:
            top, bottom = boxes[members, 1].min(), (boxes[members, 1] + boxes[members, 3]).max()
            boxes[members, 3], pixels[members] = bottom - top, pixels[members].sum()
    small = specks(boxes, pixels)
    small[list(atoms.sliced)] = False
    return small


def _candidates(atoms: _Atoms) -> list[tuple[int, ...]]:
    """Runs of up to Priors.atoms consecutive atoms that could be one digit: no gap inside wider than
    MAX_GAP, no wider than MAX_WIDTH (typical heights); single atoms and each whole piece that was
    cut always (specks excepted), whatever its width or number of slices."""
    n, height, most = len(atoms.spans), atoms.height, _priors(atoms).atoms
    small = _specks(atoms)
    left_out = small.tolist() if not small.all() else [False] * n  # all specks: every one is read
    spans = atoms.ranges[0]
    out = []
    whole = atoms.whole
    for i in range(n):
        lo, hi = spans[i]
        for j in range(i + 1, min(n, i + most) + 1):
            members = tuple(range(i, j))
            lo, hi = min(lo, spans[j - 1][0]), max(hi, spans[j - 1][1])
            if members in whole:
                out.append(members)
                continue
            if j - i > 1 and hi - lo > MAX_WIDTH * height:
                break
            if j - i == 1 and left_out[i]:
                continue
            if j - i == 1 or _gap_between(spans[i:j]) <= MAX_GAP * height:
                out.append(members)
    missed = whole.difference(out)  # too wide or of too many slices to be reached above
    return sorted([*out, *missed], key=lambda members: (members[0], len(members))) if missed else out


def _gap_between(ranges: list[list[float]]) -> float:
    """The widest gap in x left between ranges, given as (lo, hi) lists (0 when they chain
    together). In plain Python: it is called for every candidate, on a few ranges."""
    ranges = sorted(ranges)
    widest, reach = 0.0, ranges[0][1]
    for lo, hi in ranges[1:]:
        widest, reach = max(widest, lo - reach), max(reach, hi)
    return widest


def _segment(atoms: _Atoms, members: tuple[int, ...], origin: tuple[int, int]) -> Segment:
    """A candidate as a Segment: its atoms' box on the canvas (the part starts at origin), the
    pixels of the box that are its atoms' ink, and its strokes."""
    boxes = [atoms.box_list[m] for m in members]
    x0, y0 = min(x for x, _, _, _ in boxes), min(y for _, y, _, _ in boxes)
    x1, y1 = max(x + w for x, _, w, _ in boxes), max(y + h for _, y, _, h in boxes)
    labels = atoms.labels[y0:y1, x0:x1]
    mask = (labels >= members[0] + 1) & (labels <= members[-1] + 1)  # members are consecutive labels
    strokes = tuple(sorted(i for m in members for i in atoms.strokes[m]))
    return Segment((int(x0 + origin[0]), int(y0 + origin[1]), x1 - x0, y1 - y0), mask, strokes)


def _choose(
    atoms: _Atoms,
    candidates: list[tuple[int, ...]],
    geometry: np.ndarray,
    read: Callable[[list[int]], tuple[np.ndarray, np.ndarray | None]],
) -> tuple[list[int], list[np.ndarray], list[float | None]]:
    """The best sequence of candidates (_sequencer's, on recognition and geometry), reading the
    models (read(indices) -> their probabilities, and P(not a digit) or None without a detector)
    only on the candidates that could be chosen: one not read yet scores the most it could
    (recognition log 1 = 0), so once the best sequence holds only candidates read, no other can
    score higher. The choice is the one reading every candidate makes (up to the models' rounding
    in batches of other sizes), for a fraction of the work: on 'val' people's numbers, images read
    about 6 of their 24 candidates, in 1.4 rounds. Where the choice holds a word's letter, cuts near
    it are priced dearer once (_letters_kept_whole) and the choice goes on from what was read.
    Returns the choice, and the probabilities and P(not a digit) of each candidate chosen."""
    choose = _sequencer(atoms, candidates)
    score = np.zeros(len(candidates))  # recognition of the candidates read; 0 bounds the others'
    answers: dict[int, tuple[np.ndarray, float | None]] = {}
    repriced = False
    while True:
        chosen = choose(score + geometry)
        new = [k for k in chosen if k not in answers]
        if not new:
            dearer = None if repriced else _letters_kept_whole(atoms, candidates, geometry, chosen, answers)
            if dearer is None:
                break
            geometry, repriced = dearer, True
            continue
        probs, not_digit = read(new)
        if not_digit is not None:
            not_digit = np.clip(not_digit, 0.0, 1.0)  # recognition's bound holds for probabilities
        score[new] = _recognition(atoms, probs, not_digit)
        for i, k in enumerate(new):
            answers[k] = (probs[i], None if not_digit is None else float(not_digit[i]))
    return chosen, [answers[k][0] for k in chosen], [answers[k][1] for k in chosen]


def _letters_kept_whole(
    atoms: _Atoms,
    candidates: list[tuple[int, ...]],
    geometry: np.ndarray,
    chosen: list[int],
    answers: dict[int, tuple[np.ndarray, float | None]],
) -> np.ndarray | None:
    """In an image, the candidates' geometry with every one holding a slice of a cut piece within
    WORD_GAP heights of a letter chosen (a whole piece the detector finds no digit, P above
    LETTER_ND, at least LETTER_TALL of a digit's height: a dash is no letter) priced LETTER_CUT
    nats lower; None where no such letter was chosen, or no slice lies near one. answers: the
    models' (probabilities, P(not a digit)) of each candidate read. A word's letters lie side by
    side: its "M", "U" or "n", cut into slices that read as sure 1s and 7s, is a letter beside
    them, not two digits."""
    if atoms.starts is not None or not atoms.cuts:
        return None
    spans, heights = atoms.ranges
    letters = []
    for k in chosen:
        nd, members = answers[k][1], candidates[k]
        if nd is None or nd <= LETTER_ND or _holds_slice(atoms, members):
            continue
        top, bottom = _x_range(heights, members)  # a y-range, as _x_range finds an x-range
        if bottom - top >= LETTER_TALL * atoms.height:
            letters.append(_x_range(spans, members))
    if not letters:
        return None
    near, apart = WORD_GAP * atoms.height, geometry.copy()
    for k, members in enumerate(candidates):
        if _holds_slice(atoms, members):
            lo, hi = _x_range(spans, members)
            if any(lo - near <= right and left <= hi + near for left, right in letters):
                apart[k] -= LETTER_CUT
    return apart if (apart != geometry).any() else None


def _recognition(atoms: _Atoms, probs: np.ndarray, not_digit: np.ndarray | None) -> np.ndarray:
    """Each candidate's log-probability of reading as some digit, or (less likely) another sign."""
    top = np.asarray(probs, dtype=np.float64).max(axis=1)
    nd = np.zeros(len(top)) if not_digit is None else np.asarray(not_digit, dtype=np.float64)
    prior = _priors(atoms).not_digit
    return np.log(np.maximum(np.maximum((1 - nd) * top, prior * nd), PROB_FLOOR))


def _geometry(atoms: _Atoms, candidates: list[tuple[int, ...]]) -> np.ndarray:
    """Each candidate's log-prior as one digit from its shape alone (Priors.group included)."""
    height, p = atoms.height, _priors(atoms)
    geometry = np.empty(len(candidates))
    all_spans, all_ys = atoms.ranges
    for k, members in enumerate(candidates):
        spans, ys = [all_spans[m] for m in members], [all_ys[m] for m in members]
        inside = range(members[0], members[-1] + 1)  # members are consecutive atoms
        gap = _gap_between(spans) / height
        width = (max(hi for _, hi in spans) - min(lo for lo, _ in spans)) / height
        tall = (max(hi for _, hi in ys) - min(lo for lo, _ in ys)) / height
        cut = sum(runs for a, b, runs in atoms.cuts if (a in inside) != (b in inside))
        geometry[k] = (
            -p.gap[1] * max(0.0, gap - p.gap[0])
            - p.wide[1] * max(0.0, width - p.wide[0])
            - p.short[1] * max(0.0, p.short[0] - tall)
            - p.cut * cut
            - p.link * _unlinked(atoms, members)
            - p.apart * _side_by_side(atoms, members)
        )
    return geometry + p.group


def _priors(atoms: _Atoms) -> Priors:
    """The priors of the path these atoms come from: strokes (the app) or an image."""
    return STROKE_PRIORS if atoms.starts is not None else INK_PRIORS


def _unlinked(atoms: _Atoms, members: tuple[int, ...]) -> float:
    """How far a digit's strokes are from hanging together: the cheapest way to link them all
    (a minimum spanning tree), a link costing 0 between strokes that cross or come within LINK_NEAR
    heights (a 4's stem, a 7's bar, a 5's flag, an H's bar), 1 from LINK_FAR heights on, in
    proportion between. Two digits side by side rarely come so near."""
    if atoms.apart is None or len(members) == 1:
        return 0.0

    def cost(a: int, b: int) -> float:
        gap = atoms.apart[(min(a, b), max(a, b))]
        return min(1.0, max(0.0, (gap - LINK_NEAR) / (LINK_FAR - LINK_NEAR)))

    linked, rest, total = [members[0]], list(members[1:]), 0.0
    while rest:  # Prim's algorithm on at most STROKE_PRIORS.atoms strokes
        price, b = min((min(cost(a, b) for a in linked), b) for b in rest)
        total += price
        linked.append(b)
        rest.remove(b)
    return total


def _side_by_side(atoms: _Atoms, members: tuple[int, ...]) -> float:
    """How many strokes or pieces of a group sit beside the rest of it rather than over it (an
    x-overlap under APART_OVERLAP of the narrower, in proportion): a 7's bar, a 5's flag, a 4's
    stem, an H's bar lie over their sign; the next digit lies beside it. With strokes only when
    both are tall (two whole digits; a 4's stem beside its bar is fine); a slice of a cut piece
    is never beside the slice it was cut from."""
    if len(members) == 1:
        return 0.0
    inside = range(members[0], members[-1] + 1)  # members are consecutive atoms
    neighbours = {a for cut in atoms.cuts for a in cut[:2] if cut[0] in inside and cut[1] in inside}
    all_spans, all_ys = atoms.ranges
    spans, ys = [all_spans[m] for m in members], [all_ys[m] for m in members]
    slack, total = SLACK * atoms.height, 0.0
    for i in range(1, len(members)):
        if members[i] in neighbours:
            continue
        rest, rest_ys = spans[:i] + spans[i + 1 :], ys[:i] + ys[i + 1 :]
        lo, hi = min(lo for lo, _ in rest), max(hi for _, hi in rest)
        if atoms.apart is not None:
            tall = min(ys[i][1] - ys[i][0], max(hi for _, hi in rest_ys) - min(lo for lo, _ in rest_ys))
            if tall < APART_TALL * atoms.height:
                continue
        total += max(0.0, 1.0 - x_overlap(spans[i], (lo, hi), slack) / APART_OVERLAP)
    return total


def _pairs(
    atoms: _Atoms,
    ranges: np.ndarray,
    starts: np.ndarray | None,
    links: _Links,
    candidates: Sequence[tuple[int, ...]] = (),
) -> list[list[float]]:
    """The penalty for each pair of neighbouring digits a reading may hold (links.before[k][i]
    then k; ranges: each candidate's x-range, _x_range): the two overlapping in x (the strokes or
    pieces of one digit usually do: an X's, a 4's stem and bar; neighbours barely do; x_overlap's
    share), and with strokes, the second's first stroke starting (at x `starts`) left of the
    first's right end while the second reaches past the first's left end: back over it (a new
    digit starts to the right of the last; a 7's bar, a 5's flag go back over their digit). A
    digit written wholly left of the last is no such stroke: a number written right to left (a
    sum's answer, units first), a digit added in front or between two later (a user trial: 289,
    356 and 242 of the 'val' people's 400, 400 and 300 numbers so written read right, and 376, 382
    and 280 now; 388 of 400 written left to right, as before), unless its first stroke meets the
    last one's last (_joined: a heart's two halves, an H's stem added after its bar, read as "57"
    and "1" in a review). All at once: a number has a few hundred such pairs."""
    counts = [len(before) for before in links.before]
    if not sum(counts):
        return [[] for _ in counts]
    a = ranges[[p for before in links.before for p in before]]
    b = ranges[np.repeat(np.arange(len(counts)), counts)]
    priors, slack = _priors(atoms), SLACK * atoms.height
    overlap = np.minimum(a[:, 1], b[:, 1]) - np.maximum(a[:, 0], b[:, 0]) + 2 * slack
    overlap = np.minimum(1.0, np.maximum(0.0, overlap / (np.minimum(a[:, 1] - a[:, 0], b[:, 1] - b[:, 0]) + 2 * slack)))
    penalty = priors.overlap[1] * np.maximum(0.0, overlap - priors.overlap[0])
    if starts is not None:
        back = a[:, 1] - np.repeat(starts, counts)  # how far left of the first's right end the second starts
        joined = [_joined(atoms, candidates[p], candidates[k]) for k, before in enumerate(links.before) for p in before]
        inside = np.where(joined, back, np.minimum(back, b[:, 1] - a[:, 0])) / atoms.height
        penalty += np.minimum(START_CAP, priors.start[1] * np.maximum(0.0, inside - priors.start[0]))
    prices = (-penalty).tolist()
    ends = np.cumsum(counts).tolist()
    return [prices[end - count : end] for count, end in zip(counts, ends)]


def _joined(atoms: _Atoms, first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    """Whether the second candidate's first stroke meets (crosses or touches) the first's last."""
    return atoms.apart is not None and atoms.apart.get((first[-1], second[0]), LINK_FAR) <= 0.0


def _x_range(spans: list[list[float]], members: tuple[int, ...]) -> tuple[float, float]:
    """The x-range a candidate's atoms span (spans: the atoms' x-ranges as plain lists)."""
    return min(spans[m][0] for m in members), max(spans[m][1] for m in members)


def _sequencer(atoms: _Atoms, candidates: list[tuple[int, ...]]) -> Callable[[np.ndarray], list[int]]:
    """The best reading of these atoms (best_sequence with this module's pair term; specks
    optional) as a function of the candidates' unary scores, for _choose's rounds: which
    candidate may follow which (_links) and each such pair's term are found once, not once per
    round (they do not depend on the scores: a number read in many rounds priced its pairs again
    in every one)."""
    ranges = np.array([_x_range(atoms.ranges[0], members) for members in candidates]).reshape(-1, 2)
    starts = None if atoms.starts is None else atoms.starts[[members[0] for members in candidates]]
    links = _links(len(atoms.spans), candidates, _specks(atoms))
    prices = _pairs(atoms, ranges, starts, links, candidates)
    return lambda unary: _best(links, unary, prices)


@dataclass(frozen=True)
class _Links:
    """Which candidates may follow which in a reading (best_sequence), found from the candidates
    alone: the same for every set of scores."""

    order: list[int]  # the candidates, each after every one that may come before it
    first: list[bool]  # may come first: nothing but optional atoms before it
    before: list[list[int]]  # each one's possible predecessors, in the order they are weighed
    last: list[int]  # those that may come last, in the order they are weighed


def _links(n: int, candidates: Sequence[tuple[int, ...]], optional: Sequence[bool] | None = None) -> _Links:
    """The _Links of candidates (runs of consecutive atoms of 0..n-1), atoms marked optional
    allowed to be left out: a candidate follows one that ends where it starts, or earlier with
    only optional atoms between."""
    optional = [False] * n if optional is None else [bool(o) for o in optional]
    by_end: dict[int, list[int]] = {}
    for k, members in enumerate(candidates):
        by_end.setdefault(members[-1] + 1, []).append(k)
    order = sorted(range(len(candidates)), key=lambda k: candidates[k][0])  # predecessors first
    first, before = [False] * len(candidates), [[] for _ in candidates]
    for k, members in enumerate(candidates):
        start = members[0]
        first[k] = all(optional[:start])
        end = start
        while True:  # predecessors end at `start`, or earlier with only optional atoms between
            before[k].extend(by_end.get(end, ()))
            if end == 0 or not optional[end - 1]:
                break
            end -= 1
    tail = n  # the last candidate ends at n, or earlier with only optional atoms after it
    while tail > 0 and optional[tail - 1]:
        tail -= 1
    return _Links(order, first, before, [k for e in range(tail, n + 1) for k in by_end.get(e, ())])


def _best(links: _Links, unary: Sequence[float], prices: list[list[float]]) -> list[int]:
    """best_sequence's dynamic programming on _links, prices[k][i]: the pair term of links.before[k][i]
    followed by k. In plain Python floats: some 50 candidates of a few predecessors each."""
    unary = np.asarray(unary, dtype=np.float64).tolist()
    none = float("-inf")
    best, back = [none] * len(unary), [-1] * len(unary)
    for k in links.order:
        top, came, own = unary[k] if links.first[k] else none, -1, unary[k]
        for p, price in zip(links.before[k], prices[k]):
            if best[p] > none:
                score = best[p] + price + own
                if score > top:
                    top, came = score, p
        best[k], back[k] = top, came
    last = [k for k in links.last if best[k] > none]
    if not last:
        return []
    k = max(last, key=lambda k: best[k])
    chosen = []
    while k >= 0:
        chosen.append(k)
        k = back[k]
    return chosen[::-1]


def best_sequence(
    n: int,
    candidates: Sequence[tuple[int, ...]],
    unary: Sequence[float],
    pair: Callable[[int, int], float],
    optional: Sequence[bool] | None = None,
) -> list[int]:
    """Dynamic programming: the indices of the candidates (each a run of consecutive atoms of
    0..n-1) that cover every atom once, in order, with the highest total score: the sum of their
    unary scores plus pair(p, k) for every candidate p followed by k. Atoms marked optional may be
    left out. [] when no sequence covers the atoms. pair is called once for each p that may come
    right before k (whether or not a sequence reaches p), and added as a float64."""
    links = _links(n, candidates, optional)
    return _best(links, unary, [[float(pair(p, k)) for p in before] for k, before in enumerate(links.before)])
