"""Exercise relu: what ReLU's forward must keep, and its backward.

The solution is minae's own code in ``minae/layers/activations.py``.
"""

from minae.exercises.harness import activation_cases, layer_checks
from minae.exercises.spec import Exercise, Mistake

run, expected = layer_checks("minae.layers.activations", "ReLU")

EXERCISE = Exercise(
    name="relu",
    title="ReLU: what forward must keep, and the backward pass",
    module="minae.layers.activations",
    objects=("ReLU",),
    where="ReLU.forward and ReLU.backward",
    task="""
        Write ReLU.forward (return max(x, 0), and keep on self whatever backward will need) and
        ReLU.backward (return dx = dL/dx). The layer has no parameters.
        """,
    math="""
        y = max(x, 0) element by element, so y[i] depends on x[i] alone and the chain rule
        has one term per element:

            dx[i] = dL/dx[i] = dy[i] * f'(x[i]),        f'(x) = ?

        At x = 0 there is no derivative; minae uses 0 there (every framework does), and the
        check holds you to it. What is the smallest thing forward can store so that backward
        can compute f'(x)?
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "The derivative of max(x, 0) is a step: 1 where x > 0, 0 elsewhere. The chain rule "
        "multiplies it by dy, element by element.",
        "Forward can store a boolean mask of where the input is positive (y > 0 is the same "
        "mask); backward multiplies dy by it. Multiplying by the output y itself is not the "
        "same thing.",
        "forward: self.mask = x > 0; return x * self.mask.   backward: return dy * self.mask.",
    ),
    checked_by="""
        6 cases: random shapes with inputs at least 0.2 away from the kink (y compared with
        minae's ReLU, dx with the central-difference gradient of L = sum(forward(x) * dy)),
        and inputs a quarter of which are exactly 0, where dx is compared with minae's
        documented value (0 at x = 0; a finite difference would give 0.5 there). One case of
        each kind runs in float32 (the layers' default), compared at a float32 tolerance with
        the dtype checked.
        """,
    mistakes=(
        Mistake("multiplied dy by the output y instead of by the 0/1 mask",
                "dx = dy * (x > 0): multiply by the derivative, 1 where the unit was active and "
                "0 elsewhere, not by the output y = max(x, 0) itself (masking with y > 0 is "
                "fine: it is the same mask).",
                (("self.mask = x > 0", "self.y = np.maximum(x, 0)"),
                 ("return x * self.mask", "return self.y"),
                 ("return dy * self.mask", "return dy * self.y"))),
        Mistake("masked with the sign of dy instead of the sign of x",
                "Whether a unit passes the gradient depends on its input x (was it active in "
                "forward?), not on the sign of the incoming gradient dy.",
                (("return dy * self.mask", "return dy * (dy > 0)"),)),
        Mistake("let the gradient through at x = 0 (x >= 0)",
                "ReLU has no derivative at 0; minae (like every framework) uses 0 there, so the "
                "mask is x > 0, not x >= 0.",
                (("self.mask = x > 0", "self.mask = x >= 0"),)),
        Mistake("forgot to multiply by the upstream gradient dy",
                "The chain rule: dx = dy * f'(x). The mask alone is f'(x).",
                (("return dy * self.mask", "return self.mask * 1.0"),)),
        Mistake("passed dy through without the mask",
                "Where x <= 0, y does not change when x does, so dx must be 0 there.",
                (("return dy * self.mask", "return dy"),)),
    ),
    make_cases=lambda rng: activation_cases(rng, kink=0.0),
    run=run,
    expected=expected,
    next_step="ReLU sits after every hidden layer of every demo, e.g. demos/conv_autoencoder.py.",
)
