"""Exercise sigmoid: the sigmoid's backward pass from what forward kept.

The solution is minae's own code in ``minae/layers/activations.py``.
"""

from minae.exercises.harness import activation_cases, layer_checks
from minae.exercises.spec import Exercise, Mistake

run, expected = layer_checks("minae.layers.activations", "Sigmoid")

EXERCISE = Exercise(
    name="sigmoid",
    title="the sigmoid's backward pass, from what forward kept",
    module="minae.layers.activations",
    objects=("Sigmoid",),
    where="Sigmoid.backward",
    task="""
        Write Sigmoid.backward: return dx = dL/dx. Forward kept only its output, self.y =
        sigmoid(x); write the derivative in terms of it, so nothing is recomputed.
        """,
    math="""
        y = s(x) = 1 / (1 + exp(-x)). Differentiate and express the result with y alone:

            s'(x) = exp(-x) / (1 + exp(-x))^2 = ?  (in terms of y = s(x))

        then dx = dy * s'(x), element by element.
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "Write exp(-x) / (1 + exp(-x))^2 as [1 / (1 + exp(-x))] * [exp(-x) / (1 + exp(-x))]. "
        "What is each factor in terms of y?",
        "The first factor is y. The second is 1 minus the first. The derivative is a function "
        "of y: do not apply sigmoid to y again.",
        "return dy * self.y * (1.0 - self.y)",
    ),
    checked_by="""
        4 cases of random shapes (one in float32, compared with minae's float64 answer at a
        float32 tolerance, dtype checked), random inputs of scale 2 and a random upstream
        gradient dy. dx is compared with the central-difference gradient of
        L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("applied the derivative to the output: s'(y) instead of s'(x)",
                "s'(x) = y (1 - y) with y = s(x), what forward kept; sigmoid(y) * (1 - "
                "sigmoid(y)) applies the sigmoid a second time.",
                (("return dy * self.y * (1.0 - self.y)",
                  "return dy * sigmoid(self.y) * (1.0 - sigmoid(self.y))"),)),
        Mistake("used the tanh derivative 1 - y**2 for the sigmoid",
                "tanh' = 1 - tanh**2, but the sigmoid's derivative is s'(x) = y (1 - y).",
                (("return dy * self.y * (1.0 - self.y)", "return dy * (1.0 - self.y**2)"),)),
        Mistake("forgot the (1 - y) factor",
                "s'(x) = y (1 - y): both factors.",
                (("return dy * self.y * (1.0 - self.y)", "return dy * self.y"),)),
        Mistake("flipped the sign: y (y - 1)",
                "The sigmoid is increasing, so s'(x) = y (1 - y) > 0.",
                (("return dy * self.y * (1.0 - self.y)",
                  "return dy * self.y * (self.y - 1.0)"),)),
        Mistake("forgot to multiply by the upstream gradient dy",
                "The chain rule: dx = dy * s'(x).",
                (("return dy * self.y * (1.0 - self.y)", "return self.y * (1.0 - self.y)"),)),
    ),
    make_cases=activation_cases,
    run=run,
    expected=expected,
    next_step="The conv autoencoder ends in a sigmoid: demos/conv_autoencoder.py.",
)
