"""Exercise tanh: the backward pass of tanh from its output (``minae/layers/activations.py``)."""

from minae.exercises.harness import activation_cases, layer_checks
from minae.exercises.spec import Exercise, Mistake

run, expected = layer_checks("minae.layers.activations", "Tanh")

EXERCISE = Exercise(
    name="tanh",
    title="tanh's backward pass, from what forward kept",
    module="minae.layers.activations",
    objects=("Tanh",),
    where="Tanh.backward",
    task="""
        Write Tanh.backward: return dx = dL/dx (check dy with check_upstream, as Sigmoid does).
        Forward kept only its output, self.y = tanh(x); write the derivative with it.
        """,
    math="""
        y = tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)). Differentiate (quotient rule)
        and write the result with y alone:

            tanh'(x) = ?        then dx = dy * tanh'(x), element by element.
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "With a = exp(x), b = exp(-x): tanh = (a - b) / (a + b), and d/dx (a - b) = a + b, "
        "d/dx (a + b) = a - b.",
        "The quotient rule gives ((a + b)**2 - (a - b)**2) / (a + b)**2 = 1 - tanh(x)**2.",
        'return check_upstream(dy, self.y.shape, "Tanh") * (1.0 - self.y**2)',
    ),
    checked_by="""
        4 cases of random shapes (one in float32, compared at a float32 tolerance, dtype
        checked), inputs of scale 2 and a random upstream gradient dy; dx is compared with the
        central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("used the sigmoid's derivative y (1 - y) for tanh",
                "That is the sigmoid's; tanh'(x) = 1 - y**2 with y = tanh(x).",
                (("(1.0 - self.y**2)", "self.y * (1.0 - self.y)"),)),
        Mistake("forgot to square y: 1 - y",
                "tanh' = 1 - tanh**2: the square is what keeps the derivative even in x.",
                (("(1.0 - self.y**2)", "(1.0 - self.y)"),)),
        Mistake("applied the derivative to the output: 1 - tanh(y)**2",
                "forward kept y = tanh(x) already; 1 - y**2 is the derivative, tanh(y) applies "
                "tanh a second time.",
                (("(1.0 - self.y**2)", "(1.0 - np.tanh(self.y) ** 2)"),)),
        Mistake("forgot to multiply by the upstream gradient dy",
                "The chain rule: dx = dy * tanh'(x).",
                (('check_upstream(dy, self.y.shape, "Tanh") * (1.0 - self.y**2)',
                  "(1.0 - self.y**2)"),)),
    ),
    make_cases=activation_cases,
    run=run,
    expected=expected,
    next_step="Tanh is a code activation of the sparse demos: demos/sparse_autoencoder.py.",
)
