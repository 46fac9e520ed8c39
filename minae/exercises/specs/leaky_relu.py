"""Exercise leaky_relu: LeakyReLU's forward and backward (``minae/layers/activations.py``)."""

from minae.exercises.harness import activation_cases, layer_checks
from minae.exercises.spec import Exercise, Mistake

run, expected = layer_checks("minae.layers.activations", "LeakyReLU")

EXERCISE = Exercise(
    name="leaky_relu",
    title="LeakyReLU: what forward keeps, and the backward pass",
    module="minae.layers.activations",
    objects=("LeakyReLU",),
    where="LeakyReLU.forward and LeakyReLU.backward",
    task="""
        Write LeakyReLU.forward (return y and keep in self.slope the derivative f'(x), 1 or
        negative_slope, in the input's dtype) and LeakyReLU.backward (return dx = dL/dx).
        """,
    math="""
        y = x where x > 0, else a x (a = negative_slope). Element by element:

            f'(x) = ?  (for x > 0 and for x < 0)        dx = dy * f'(x)

        At x = 0 minae uses the left side, a (like PyTorch): the check holds you to it.
        """,
    shapes="x, y, dy, dx, self.slope: any shape, all the same.",
    hints=(
        "Both sides are straight lines: the derivative is their slope, 1 or a.",
        "np.where(x > 0, 1.0, a) is f'(x); keep it (cast to x.dtype) and use it for y and dx.",
        "self.slope = np.where(x > 0, 1.0, self.negative_slope).astype(x.dtype); "
        "return x * self.slope.  backward: return check_upstream(dy, self.slope.shape, "
        '"LeakyReLU") * self.slope',
    ),
    checked_by="""
        6 cases with negative_slope 0.2: random shapes away from 0 (dx compared with the
        central-difference gradient of L = sum(forward(x) * dy)) and inputs a quarter of which
        are exactly 0 (dx compared with minae's value, a * dy there); one case of each in
        float32, compared at a float32 tolerance with the dtype checked.
        """,
    mistakes=(
        Mistake("used slope 0 on the negative side (that is ReLU)",
                "LeakyReLU lets a * dy through where x < 0: f'(x) = a there, not 0.",
                (("np.where(x > 0, 1.0, self.negative_slope)", "np.where(x > 0, 1.0, 0.0)"),)),
        Mistake("took the right-hand slope at x = 0 (x >= 0)",
                "minae (like PyTorch) uses the negative side's slope a at x = 0: x > 0, not "
                "x >= 0.",
                (("np.where(x > 0, 1.0, self.negative_slope)",
                  "np.where(x >= 0, 1.0, self.negative_slope)"),)),
        Mistake("multiplied dy by the output y instead of by the slope",
                "dx = dy * f'(x); y = x f'(x) is the output, not the derivative.",
                (('check_upstream(dy, self.slope.shape, "LeakyReLU") * self.slope',
                  'check_upstream(dy, self.slope.shape, "LeakyReLU") * self.y'),
                 ("return x * self.slope", "self.y = x * self.slope\nreturn self.y"))),
    ),
    make_cases=lambda rng: activation_cases(rng, kink=0.0, init={"negative_slope": 0.2}),
    run=run,
    expected=expected,
    next_step="The AAE's discriminator uses LeakyReLU: demos/adversarial_autoencoder.py.",
)
