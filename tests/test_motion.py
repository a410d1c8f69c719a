import numpy as np
import pytest

from cinealert.disasters import DISASTERS
from cinealert.motion.effects import ParticleEffect
from cinealert.motion.integrate import EulerIntegrator
from cinealert.motion.rules import RuleMotion
from cinealert.regions import Region


def test_euler_constant_field_moves_linearly():
    flow = np.zeros((64, 96, 2), np.float32)
    flow[..., 0] = 1.5
    integ = EulerIntegrator(flow, scale=2)
    disps = list(integ.iter_small(6, sign=-1.0))
    assert len(disps) == 7
    full = integ.upsample(disps[6])
    # Interior pixels came from 6 × 1.5 = 9 pixels to the left.
    assert np.allclose(full[20:40, 30:60, 0], -9.0, atol=1e-3)
    assert np.allclose(full[..., 1], 0.0)


def test_euler_stops_at_region_edge():
    flow = np.zeros((40, 80, 2), np.float32)
    flow[:, :40, 0] = 2.0                      # flows right, then nothing
    integ = EulerIntegrator(flow, scale=1)
    last = None
    for last in integ.iter_small(30, sign=+1.0):
        pass
    # A particle starting at x=10 cannot travel 60 px: it stops where the field ends (near x=40).
    assert 28 <= 10 + last[20, 10, 0] <= 42


def test_euler_rejects_bad_shapes():
    with pytest.raises(ValueError):
        EulerIntegrator(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError):
        EulerIntegrator(np.zeros((10, 10, 2), np.float32), scale=0)


def _plan(disaster, regions, depth, seed=0, frames=24):
    return RuleMotion().plan(regions, depth, disaster=DISASTERS[disaster], frames=frames, fps=12, seed=seed)


def test_rules_directions_per_class(layered_scene):
    _, depth, _ = layered_scene
    h, w = depth.shape
    regions = np.zeros((h, w), np.uint8)
    regions[10:40, 10:50] = Region.FIRE
    regions[10:40, 100:150] = Region.SMOKE
    regions[60:90, :] = Region.WATER
    plan = _plan("wildfire", regions, depth)
    fire = plan.flow[15:35, 15:45]
    assert fire[..., 1].mean() < -0.02 and abs(fire[..., 0].mean()) < abs(fire[..., 1].mean())
    assert plan.flow[15:35, 105:145, 1].mean() < 0          # smoke rises too
    water = plan.flow[65:85, 20:140]
    assert np.abs(water[..., 0]).mean() > 3 * np.abs(water[..., 1]).mean()
    # Nothing flows far from the moving regions.
    assert np.abs(plan.flow[45:55, 60:90]).max() == 0
    assert plan.mask.dtype == np.float32 and 0 <= plan.mask.min() and plan.mask.max() <= 1
    assert [e["kind"] for e in plan.effects] == ["embers"]


def test_rules_effects_follow_the_disaster(layered_scene):
    _, depth, regions = layered_scene
    assert [e["kind"] for e in _plan("heavy_snow", regions, depth).effects] == ["snowfall"]
    assert [e["kind"] for e in _plan("typhoon", regions, depth).effects] == ["rain"]
    quake = _plan("earthquake", regions, depth, frames=24)
    assert quake.shake is not None and quake.shake.shape == (24, 2)
    assert np.abs(quake.shake).max() > 0.1


def test_rules_deterministic_and_seeded(layered_scene):
    _, depth, regions = layered_scene
    a, b = _plan("flood", regions, depth, seed=3), _plan("flood", regions, depth, seed=3)
    assert np.array_equal(a.flow, b.flow)
    c = _plan("flood", regions, depth, seed=4)
    assert not np.array_equal(a.flow, c.flow)


def test_rules_speed_zero_freezes(layered_scene):
    _, depth, regions = layered_scene
    plan = RuleMotion().plan(regions, depth, disaster=DISASTERS["flood"], frames=12, fps=12, speed=0)
    assert np.abs(plan.flow).max() == 0 and plan.oscillations == []


def test_rules_bad_input(layered_scene):
    _, depth, regions = layered_scene
    with pytest.raises(ValueError):
        _plan("flood", regions[:-1], depth)
    with pytest.raises(ValueError):
        RuleMotion().plan(regions, depth, disaster=DISASTERS["flood"], frames=1, fps=12)
    with pytest.raises(ValueError):
        RuleMotion().plan(regions, -depth, disaster=DISASTERS["flood"], frames=12, fps=12)


@pytest.mark.parametrize("kind", ["rain", "snowfall", "embers", "dust_haze"])
def test_effects_loop_exactly_and_draw(kind):
    n = 18
    eff = ParticleEffect({"kind": kind, "density": 1.0, "angle_deg": 20.0, "seed": 5},
                         width=160, height=96, frames=n, fps=12)
    base = np.full((96, 160, 3), 60, np.uint8)
    f0, fn, f5 = eff.draw(base.copy(), 0), eff.draw(base.copy(), n), eff.draw(base.copy(), 5)
    assert np.array_equal(f0, fn)
    assert not np.array_equal(f0, base)            # something is drawn
    assert not np.array_equal(f0, f5)              # and it moves


def test_effects_unknown_kind():
    with pytest.raises(ValueError):
        ParticleEffect({"kind": "lava"}, width=64, height=64, frames=4, fps=4)
