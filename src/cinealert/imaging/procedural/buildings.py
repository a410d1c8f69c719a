"""Painting what people built: houses, hanok, apartment blocks, cars, poles, roads, greenhouses, fences,
rubble, and a town placed along the ground."""
from __future__ import annotations

import math

import numpy as np

from cinealert.imaging.procedural.basics import GROUND_MAX, circle, colour, mix, rot
from cinealert.imaging.procedural.canvas import Scene
from cinealert.imaging.procedural.palette import CARS, ROOFS, WALLS
from cinealert.regions import Region


def draw_house(sc: Scene, x, d, water_row=None, tilt=0.0, snow=False, hanok=None, lit_windows=None,
           collapse=False, region=Region.NONE):
    """A 3/4-view house standing on the ground at (x, depth d). Returns its footprint box."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    if hanok is None:
        hanok = sc.korea and ("hanok" in sc.want) and rng.random() < 0.6
    if hanok:
        return draw_hanok(sc, x, d, snow=snow, lit_windows=lit_windows)
    fw = sc.uni(4.5, 6.0) * p
    sw = sc.uni(6.0, 9.0) * p
    wh = (sc.uni(2.6, 3.2) if rng.random() < 0.7 else sc.uni(5.2, 6.0)) * p
    rh = sc.uni(1.8, 2.6) * p
    flip = rng.random() < 0.5
    x0 = x - (fw + sw) / 2
    sk = 0.08 * sw
    wall = sc.pick(WALLS)
    roof = sc.pick(ROOFS)
    lit_front = sc.sun_left != flip
    front_c = sc.lit(wall) if lit_front else sc.shd(wall)
    side_c = sc.shd(wall) if lit_front else sc.lit(wall, 0.95)
    eave = 0.6 * p
    front = np.array([[x0, yb], [x0 + fw, yb], [x0 + fw, yb - wh], [x0 + fw / 2, yb - wh - rh], [x0, yb - wh]])
    side = np.array([[x0 + fw, yb], [x0 + fw + sw, yb - sk], [x0 + fw + sw, yb - sk - wh], [x0 + fw, yb - wh]])
    roofp = np.array([[x0 + fw / 2, yb - wh - rh - 0.3 * p], [x0 + fw / 2 + sw + eave * 0.5, yb - sk - wh - rh - 0.3 * p],
                      [x0 + fw + sw + eave, yb - sk - wh + eave * 0.5], [x0 + fw + eave * 0.4, yb - wh + eave * 0.5]])
    gable = np.array([[x0 - eave * 0.6, yb - wh + eave * 0.45], [x0 + fw / 2, yb - wh - rh - 0.45 * p],
                      [x0 + fw / 2 + 0.35 * p, yb - wh - rh - 0.3 * p], [x0 + 0.2 * p, yb - wh + eave * 0.2]])
    parts = [front, side, roofp, gable]
    cx_ = x0 + (fw + sw) / 2
    if flip:
        parts = [np.stack([2 * cx_ - q[:, 0], q[:, 1]], 1) for q in parts]
    if tilt:
        parts = [rot(q, cx_, yb, tilt) for q in parts]
    front, side, roofp, gable = parts
    night = sc.night if lit_windows is None else lit_windows
    win_c = colour(1.0, 0.82, 0.45) if night else sc.shd(colour(0.32, 0.42, 0.55))
    cv = sc.cv
    cv.fill([front], front_c, region, d)
    cv.fill([side], side_c, region, d)
    # windows on the side wall and a door on the front
    nwin = max(int(sw / (2.2 * p)), 1)
    wins = []
    storeys = 2 if wh > 4.5 * p else 1
    for st in range(storeys):
        for k in range(nwin):
            u0 = (k + 0.3) / nwin
            u1 = (k + 0.7) / nwin
            v0 = 0.35 + st * 0.5 if storeys == 2 else 0.35
            v1 = v0 + (0.28 if storeys == 2 else 0.35)
            q = []
            for (u, v) in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
                bx = side[0] + (side[1] - side[0]) * u
                tx_ = side[3] + (side[2] - side[3]) * u
                q.append(bx + (tx_ - bx) * v)
            wins.append(np.array(q))
    lw = [w_ for w_ in wins if (not night) or rng.random() < 0.7]
    cv.fill(lw, win_c, region, d, glow=0.8 if night else 0.0)
    door = []
    for (u, v) in ((0.35, 0.0), (0.65, 0.0), (0.65, 0.6 if storeys == 1 else 0.35), (0.35, 0.6 if storeys == 1 else 0.35)):
        bx = front[0] + (front[1] - front[0]) * u
        tx_ = front[4] + (front[2] - front[4]) * u
        door.append(bx + (tx_ - bx) * v)
    cv.fill([np.array(door)], sc.shd(mix(roof, colour(0.3, 0.2, 0.15), 0.6)), region, d)
    rc = sc.lit(roof) if not sc.sun_left else sc.lit(roof, 0.92)
    cv.fill([roofp], rc, region, d)
    cv.fill([gable], sc.shd(roof, 0.8), region, d)
    if snow:
        draw_snow_cap(sc, roofp, d, p)
        draw_snow_cap(sc, gable, d, p * 0.6)
    sc.note("house")
    xs = np.concatenate([q[:, 0] for q in parts])
    ys = np.concatenate([q[:, 1] for q in parts])
    return (xs.min(), ys.min(), xs.max(), yb)


def draw_snow_cap(sc, poly, d, p):
    """A thick rounded snow layer on top of a roof polygon."""
    poly = np.asarray(poly, np.float64)
    top = poly[poly[:, 1].argsort()[:2]]
    top = top[top[:, 0].argsort()]
    (ax, ay), (bx, by) = top
    t = np.linspace(0, 1, 16)
    thick = 0.55 * p
    upper = np.stack([ax + (bx - ax) * t, ay + (by - ay) * t - thick * (0.6 + 0.4 * np.sin(np.pi * t))], 1)
    lower_pts = poly[poly[:, 1].argsort()[2:]]
    lower_pts = lower_pts[lower_pts[:, 0].argsort()[::-1]]
    cap = np.concatenate([upper, lower_pts + (0, -0.25 * p)])
    sc.cv.fill([cap], mix(sc.lit(colour(0.97, 0.98, 1.0)), sc.shd(colour(0.9, 0.93, 1.0)), 0.2), Region.NONE, d)
    # overhang lip
    lip = np.concatenate([lower_pts + (0, -0.3 * p), (lower_pts + (0, 0.25 * p))[::-1]])
    sc.cv.fill([lip], sc.shd(colour(0.95, 0.97, 1.0)), Region.NONE, d)


def draw_hanok(sc: Scene, x, d, snow=False, lit_windows=None):
    """A traditional Korean house: white walls with timber posts under a curved tiled roof."""
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(9, 12) * p
    wh = 2.6 * p
    x0 = x - w / 2
    cv = sc.cv
    plinth = np.array([[x0 - 0.3 * p, yb], [x0 + w + 0.3 * p, yb], [x0 + w + 0.3 * p, yb - 0.6 * p], [x0 - 0.3 * p, yb - 0.6 * p]])
    cv.fill([plinth], sc.lit(colour(0.70, 0.68, 0.64)), Region.NONE, d)
    body = np.array([[x0, yb - 0.6 * p], [x0 + w, yb - 0.6 * p], [x0 + w, yb - wh], [x0, yb - wh]])
    cv.fill([body], sc.lit(colour(0.95, 0.93, 0.86)), Region.NONE, d)
    nb = 4
    posts, panels = [], []
    for k in range(nb + 1):
        px = x0 + w * k / nb
        posts.append(np.array([[px - 0.18 * p, yb - 0.6 * p], [px + 0.18 * p, yb - 0.6 * p], [px + 0.18 * p, yb - wh], [px - 0.18 * p, yb - wh]]))
        if k < nb:
            cx = x0 + w * (k + 0.5) / nb
            panels.append(np.array([[cx - 0.7 * p, yb - 0.9 * p], [cx + 0.7 * p, yb - 0.9 * p], [cx + 0.7 * p, yb - 2.2 * p], [cx - 0.7 * p, yb - 2.2 * p]]))
    night = sc.night if lit_windows is None else lit_windows
    cv.fill(panels, colour(1.0, 0.84, 0.52) if night else sc.lit(colour(0.90, 0.84, 0.70)), Region.NONE, d, glow=0.7 if night else 0)
    cv.fill(posts, sc.shd(colour(0.50, 0.32, 0.20)), Region.NONE, d)
    # curved roof with upturned eaves
    t = np.linspace(0, 1, 24)
    ov = 1.8 * p
    L, R = x0 - ov, x0 + w + ov
    eave_y = yb - wh + 0.2 * p - 0.9 * p * (np.abs(2 * t - 1) ** 3)   # rising at the corners
    ridge_y = yb - wh - 3.0 * p - 0.5 * p * (np.abs(2 * t - 1) ** 4)
    bottom = np.stack([L + (R - L) * t, eave_y], 1)
    rl, rr = x0 + 1.4 * p, x0 + w - 1.4 * p
    top = np.stack([rl + (rr - rl) * t, ridge_y + 0.0 * t], 1)
    roof = np.concatenate([bottom, top[::-1]])
    tile = colour(0.30, 0.31, 0.34)
    cv.fill([roof], sc.lit(tile, 0.95), Region.NONE, d)
    # tile lines
    lines = []
    for k in range(1, 14):
        u = k / 14
        lines.append(np.array([[rl + (rr - rl) * u, ridge_y[int(u * 23)]], [L + (R - L) * u, eave_y[int(u * 23)]]]))
    cv.lines(lines, sc.shd(tile, 0.7), max(0.6 * p * 0.25, 0.6), Region.NONE, None, 0.6)
    ridge = np.concatenate([top + (0, -0.35 * p), (top + (0, 0.15 * p))[::-1]])
    cv.fill([ridge], sc.shd(tile, 0.6), Region.NONE, d)
    if snow:
        draw_snow_cap(sc, np.array([[rl, ridge_y[0]], [rr, ridge_y[-1]], [R, eave_y[-1]], [L, eave_y[0]]]), d, p)
    sc.note("hanok")
    return (L, ridge_y.min(), R, yb)


def draw_apartment(sc: Scene, x, d, tilt=0.0, broken=False, snow=False):
    """A Korean-style apartment block: a tall slab with balcony rows and a shaded side."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    w = sc.uni(26, 40) * p
    floors = int(rng.integers(12, 22))
    fh = 2.9 * p
    ht = floors * fh
    sw = sc.uni(5, 8) * p
    x0 = x - (w + sw) / 2
    wall = sc.pick([colour(0.93, 0.92, 0.88), colour(0.90, 0.88, 0.84), colour(0.86, 0.88, 0.90)])
    stripe = sc.pick([colour(0.25, 0.45, 0.70), colour(0.70, 0.30, 0.25), colour(0.30, 0.55, 0.40), colour(0.85, 0.60, 0.25)])
    front = np.array([[x0, yb], [x0 + w, yb], [x0 + w, yb - ht], [x0, yb - ht]])
    side = np.array([[x0 + w, yb], [x0 + w + sw, yb - 0.12 * sw], [x0 + w + sw, yb - ht - 0.05 * sw], [x0 + w, yb - ht]])
    if broken:
        # the upper floors sheared off: a jagged top
        cut = ht * sc.uni(0.35, 0.6)
        jag = np.stack([np.linspace(x0 + w, x0, 9), yb - cut - rng.uniform(0, 3.5, 9) * p], 1)
        front = np.concatenate([front[:2], jag])
        side = np.array([[x0 + w, yb], [x0 + w + sw, yb - 0.12 * sw], [x0 + w + sw, yb - cut * 0.8], [x0 + w, yb - cut - 1.5 * p]])
    parts = [front, side]
    if tilt:
        pivot = x0 if tilt < 0 else x0 + w + sw
        parts = [rot(q, pivot, yb, tilt) for q in parts]
    front, side = parts
    cv = sc.cv
    lf = sc.sun_left
    cv.fill([front], sc.lit(wall) if lf else sc.shd(wall, 1.05), Region.NONE, d)
    cv.fill([side], sc.shd(wall, 0.95) if lf else sc.lit(wall, 0.95), Region.NONE, d)
    # balcony rows and windows: bilinear interpolation inside the (possibly tilted) front quad
    A, B = front[0], front[1]
    topL, topR = (front[3], front[2]) if not broken else (front[-1], front[2])
    top_y = ht if not broken else cut
    nfl = int(top_y / fh)
    ncol = max(int(w / (3.4 * p)), 2)
    wins, rails = [], []
    lit_any = sc.night
    for f in range(nfl):
        v0 = (f + 0.3) / (top_y / fh)
        v1 = (f + 0.75) / (top_y / fh)
        if v1 > 0.98:
            continue
        for k in range(ncol):
            u0 = (k + 0.15) / ncol
            u1 = (k + 0.85) / ncol
            q = []
            for (u, v) in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
                bx = A + (B - A) * u
                tx_ = topL + (topR - topL) * u
                q.append(bx + (tx_ - bx) * v)
            if lit_any and rng.random() < 0.45:
                rails.append(np.array(q))
            else:
                wins.append(np.array(q))
    cv.fill(wins, sc.shd(colour(0.45, 0.55, 0.65), 0.9), Region.NONE, d)
    if rails:
        cv.fill(rails, colour(1.0, 0.84, 0.50), Region.NONE, d, glow=0.8)
    if not broken:
        band = np.array([topL, topR, topR + (B - topR) * 0.06, topL + (A - topL) * 0.06])
        cv.fill([band], sc.lit(stripe), Region.NONE, d)
    if snow:
        cap = np.array([topL + (-0.3 * p, -0.8 * p), topR + (0.3 * p, -0.8 * p), topR + (0.3 * p, 0.1 * p), topL + (-0.3 * p, 0.1 * p)])
        cv.fill([cap], sc.lit(colour(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("apartment block")
    xs = np.concatenate([q[:, 0] for q in parts])
    ys = np.concatenate([q[:, 1] for q in parts])
    return (xs.min(), ys.min(), xs.max(), yb)


def draw_car(sc, x, d, snow=False):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    L, hgt = 4.3 * p, 1.45 * p
    flip = sc.rng.random() < 0.5
    c = sc.pick(CARS)
    x0 = x - L / 2
    body = np.array([[x0, yb - 0.3 * p], [x0 + L, yb - 0.3 * p], [x0 + L, yb - 0.85 * p], [x0 + L * 0.8, yb - 0.95 * p],
                     [x0 + L * 0.68, yb - hgt], [x0 + L * 0.25, yb - hgt], [x0 + L * 0.12, yb - 0.95 * p], [x0, yb - 0.85 * p]])
    win = np.array([[x0 + L * 0.2, yb - 0.95 * p], [x0 + L * 0.74, yb - 0.95 * p], [x0 + L * 0.65, yb - hgt + 0.12 * p],
                    [x0 + L * 0.28, yb - hgt + 0.12 * p]])
    if flip:
        body[:, 0] = 2 * x - body[:, 0]
        win[:, 0] = 2 * x - win[:, 0]
    cv = sc.cv
    cv.fill([circle(x0 + L * 0.22, yb - 0.33 * p, 0.36 * p, n=14), circle(x0 + L * 0.78, yb - 0.33 * p, 0.36 * p, n=14)],
            colour(0.08, 0.08, 0.09), Region.NONE, d)
    cv.fill([body], sc.lit(c), Region.NONE, d)
    cv.fill([win], sc.shd(colour(0.35, 0.45, 0.55)), Region.NONE, d)
    if snow:
        cap = np.concatenate([circle(x, yb - 0.9 * p, L * 0.52, hgt * 0.75, 20, math.pi, 2 * math.pi),
                              [[x + L * 0.52, yb - 0.55 * p], [x - L * 0.52, yb - 0.55 * p]]])
        cv.fill([cap], sc.lit(colour(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("car")
    return (x0, yb - hgt, x0 + L, yb)


def draw_pole_line(sc, d0, d1, xfrac0, xfrac1, lean=0.0, n=None, region=Region.NONE, tops=None):
    """A line of utility poles receding from (xfrac0, d0) to (xfrac1, d1), wires between them."""
    n = n or int(sc.rng.integers(4, 7))
    cv = sc.cv
    tops_out = []
    for k in range(n):
        f = k / max(n - 1, 1)
        d = d0 * (d1 / d0) ** f
        x = (xfrac0 + (xfrac1 - xfrac0) * f) * sc.W
        p = sc.ppm(d)
        yb = sc.y_of(d)
        ht = 10.0 * p
        lk = lean * sc.uni(-1, 1)
        top = np.array([x + math.sin(lk) * ht, yb - math.cos(lk) * ht])
        w = max(0.17 * p, 0.6)
        pole = np.array([[x - w, yb], [x + w, yb], [top[0] + w * 0.7, top[1]], [top[0] - w * 0.7, top[1]]])
        cv.fill([pole], sc.shd(colour(0.45, 0.40, 0.36)), region, d)
        arm = np.array([top + (-1.1 * p, 0.9 * p), top + (1.1 * p, 0.9 * p), top + (1.1 * p, 1.15 * p), top + (-1.1 * p, 1.15 * p)])
        cv.fill([arm], sc.shd(colour(0.3, 0.3, 0.3)), region, d)
        tops_out.append((top, p, d))
    wires = []
    for (a, pa, da), (b, pb, db) in zip(tops_out[:-1], tops_out[1:]):
        for off in (-0.9, 0.9):
            s = np.linspace(0, 1, 16)
            ax, ay = a[0] + off * pa, a[1] + pa
            bx, by = b[0] + off * pb, b[1] + pb
            sag = 0.9 * (pa + pb)
            wires.append(np.stack([ax + (bx - ax) * s, ay + (by - ay) * s + sag * 4 * s * (1 - s)], 1))
    cv.lines(wires, colour(0.12, 0.12, 0.14), max(0.9 * sc.u, 0.6), None, None, 0.85)
    sc.note("utility pole", n)


def draw_road(sc, x_near, x_far_frac, width_m=7.0, d_far=None, curve=0.0, color=None, dash=True, d_near=0.9):
    """A road on the ground from the bottom edge toward the horizon (as a perspective ribbon)."""
    d_far = d_far or GROUND_MAX * 0.5
    ds = np.exp(np.linspace(math.log(d_near), math.log(d_far), 60))
    Xn = sc.X_of(x_near, d_near)
    Xf = sc.X_of(x_far_frac * sc.W, d_far)
    f = (ds - d_near) / (d_far - d_near)
    Xc = Xn + (Xf - Xn) * f + curve * np.sin(f * math.pi) * 30
    ys = sc.h + sc.K / ds
    left = np.stack([sc.W / 2 + (Xc - width_m / 2) * sc.S / ds, ys], 1)
    right = np.stack([sc.W / 2 + (Xc + width_m / 2) * sc.S / ds, ys], 1)
    poly = np.concatenate([left, right[::-1]])
    col = sc.lit(colour(0.38, 0.38, 0.40) if color is None else color)
    sc.cv.fill([poly], col, Region.NONE, None)
    if dash:
        marks = []
        for k in range(0, 59, 2):
            da, db = ds[k], ds[k + 1]
            if db > 20:
                break
            xa, xb = sc.W / 2 + Xc[k] * sc.S / da, sc.W / 2 + Xc[k + 1] * sc.S / db
            wa, wb = 0.15 * sc.S / da, 0.15 * sc.S / db
            marks.append(np.array([[xa - wa, ys[k]], [xa + wa, ys[k]], [xb + wb, ys[k + 1]], [xb - wb, ys[k + 1]]]))
        sc.cv.fill(marks, sc.lit(colour(0.95, 0.85, 0.35)), Region.NONE, None, alpha=0.9)
    sc.note("road")
    return ds, Xc


def draw_greenhouses(sc, x, d, n=3):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    cv = sc.cv
    for k in range(n):
        dk = d * (1 + 0.12 * k)
        pk = sc.ppm(dk)
        ybk = sc.y_of(dk)
        xk = x + (k - n / 2) * 7.5 * pk
        w = 6.0 * pk
        L = 16 * pk
        arch = np.concatenate([circle(xk, ybk, w / 2, 3.0 * pk, 18, math.pi, 2 * math.pi), [[xk + w / 2, ybk]]])
        body = np.concatenate([circle(xk + L * 0.35, ybk - L * 0.05, w / 2, 3.0 * pk, 18, math.pi, 2 * math.pi),
                               [[xk + L * 0.35 + w / 2, ybk - L * 0.05], [xk + w / 2, ybk]], arch[::-1]])
        cv.fill([body], sc.shd(colour(0.88, 0.90, 0.92)), Region.NONE, dk)
        cv.fill([arch], sc.lit(colour(0.93, 0.95, 0.96)), Region.NONE, dk)
        ribs = [np.array([[xk + L * 0.35 * s + w * 0.0, ybk - L * 0.05 * s - 3.0 * pk], [xk + L * 0.35 * s + w / 2, ybk - L * 0.05 * s]])
                for s in np.linspace(0.15, 0.9, 5)]
        cv.lines(ribs, sc.shd(colour(0.7, 0.72, 0.75)), max(0.12 * pk, 0.6), None, None, 0.7)
    sc.note("greenhouse", n)
    _ = (p, yb)


def draw_fence(sc, d, x0f, x1f, snow=False):
    p = sc.ppm(d)
    yb = sc.y_of(d)
    cv = sc.cv
    posts = []
    x0, x1 = x0f * sc.W, x1f * sc.W
    n = max(int((x1 - x0) / (2.0 * p)), 2)
    for k in range(n + 1):
        x = x0 + (x1 - x0) * k / n
        posts.append(np.array([[x - 0.1 * p, yb], [x + 0.1 * p, yb], [x + 0.1 * p, yb - 1.3 * p], [x - 0.1 * p, yb - 1.3 * p]]))
    rails = [np.array([[x0, yb - hh * p], [x1, yb - hh * p], [x1, yb - (hh + 0.12) * p], [x0, yb - (hh + 0.12) * p]]) for hh in (0.45, 1.0)]
    col = sc.shd(colour(0.60, 0.46, 0.32))
    cv.fill(posts + rails, col, Region.NONE, d)
    if snow:
        cv.fill([np.array([[x0, yb - 1.12 * p], [x1, yb - 1.12 * p], [x1, yb - 1.3 * p], [x0, yb - 1.3 * p]])],
                sc.lit(colour(0.97, 0.98, 1.0)), Region.NONE, d)
    sc.note("fence")


def draw_rubble(sc, x, d, size_m, color=None, n=None):
    """A heap of broken concrete, bricks and timber."""
    rng = sc.rng
    p = sc.ppm(d)
    yb = sc.y_of(d)
    n = n or int(rng.integers(14, 26))
    polys = {k: [] for k in range(4)}
    heap = np.concatenate([circle(x, yb, size_m * p * 0.6, size_m * p * 0.28, 20, math.pi, 2 * math.pi), [[x + size_m * p * 0.6, yb]]])
    sc.cv.fill([heap], sc.shd(colour(0.52, 0.48, 0.44)), Region.NONE, d)
    for _ in range(n):
        ax = x + rng.normal(0, 0.25) * size_m * p
        ay = yb - abs(rng.normal(0, 0.12)) * size_m * p - 0.1 * p
        r = rng.uniform(0.3, 1.1) * p * size_m / 6
        k = int(rng.integers(4, 7))
        ang = np.sort(rng.uniform(0, 2 * math.pi, k))
        rad = r * rng.uniform(0.6, 1.0, k)
        polys[int(rng.integers(4))].append(np.stack([ax + np.cos(ang) * rad * 1.4, ay + np.sin(ang) * rad * 0.8], 1))
    cols = [colour(0.72, 0.70, 0.66), colour(0.58, 0.55, 0.52), colour(0.70, 0.42, 0.32), colour(0.50, 0.38, 0.28)]
    if color is not None:
        cols[0] = color
    for k in range(4):
        sc.cv.fill(polys[k], sc.lit(cols[k]) if k % 2 == 0 else sc.shd(cols[k], 1.1), Region.NONE, d)
    sc.note("rubble heap")


def place_town(sc: Scene, spots, snow=False, tilt_frac=0.0, collapse_frac=0.0, submerge=False, trees=True):
    """Draw houses (and hanok in Korean settings) at ``spots`` [(x, d)], far to near."""
    boxes = []
    for (x, d) in sorted(spots, key=lambda s: -s[1]):
        tilt = 0.0
        if sc.rng.random() < tilt_frac:
            tilt = sc.uni(0.08, 0.2) * (1 if sc.rng.random() < 0.5 else -1)
        boxes.append(draw_house(sc, x, d, tilt=tilt, snow=snow))
    return boxes
