"""Exercise bce_with_logits: binary cross-entropy on logits and its gradient.

The solution is minae's own code in ``minae/losses.py``.
"""

import numpy as np

from minae.exercises.harness import loss_checks
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.loss_cases import loss_cases

run, expected = loss_checks("minae.losses", "binary_cross_entropy_with_logits")


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = loss_cases(rng, logits=True)
    for dtype in (np.float64, np.float32):
        z = rng.uniform(50.0, 120.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
        t = rng.random((3, 4))
        label = "(3, 4), logits with 50 <= |z| <= 120, reduction='batch'" + \
            ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, {"p": z, "t": t, "reduction": "batch", "exact": True},
                          {"s (what the reduction divides by)": 3, "1/s": 1 / 3}, dtype))
    return cases


EXERCISE = Exercise(
    name="bce_with_logits",
    title="binary cross-entropy on logits, and why its gradient is so simple",
    module="minae.losses",
    objects=("binary_cross_entropy_with_logits",),
    where="binary_cross_entropy_with_logits",
    task="""
        Finish binary_cross_entropy_with_logits: return the loss value (a float; the
        element-wise loss is computed for you) and grad = dL/dlogits under the reduction
        (divide by s).
        """,
    math="""
        With p = sigmoid(z) the element-wise loss is l = -(t log p + (1 - t) log(1 - p)).
        Chain rule through the sigmoid (s'(z) = p (1 - p)):

            dl/dz = dl/dp * dp/dz = ?       and then   dL/dz = (dl/dz) / s

        Simplify until nothing can overflow: the gradient must stay finite for any logit.
        """,
    shapes="logits, target, grad: (N, ...), all the same; the value is a float.",
    hints=(
        "Start from dl/dp = (p - t) / (p (1 - p)), the gradient of BCE on probabilities.",
        "Multiply by dp/dz = p (1 - p): the denominators cancel. What is left uses p = "
        "sigmoid(z) (imported for you) and t.",
        "return float(np.sum(loss) / s), (sigmoid(z) - t) / s",
    ),
    checked_by="""
        7 cases: shapes (N, D) and (N, C, H, W), each reduction, logits of scale 3, grey
        targets in [0, 1], a batch of 1; and logits with |z| from 50 to 120, where an
        unsimplified formula gives 0/0 = NaN (compared with minae's value), in float64 and in
        float32 (compared with minae's float64 answer at a float32 tolerance, dtype checked).
        The value is compared with minae's and grad with the central-difference gradient of
        the value.
        """,
    mistakes=(
        Mistake("used the gradient for probabilities, not for logits",
                "(p - t) / (p (1 - p)) is dl/dp; the loss here takes logits, so multiply by "
                "dp/dz = p (1 - p), which cancels the denominator: dl/dz = sigmoid(z) - t.",
                (("(sigmoid(z) - t) / s",
                  "(sigmoid(z) - t) / (sigmoid(z) * (1.0 - sigmoid(z))) / s"),)),
        Mistake("left the chain rule unsimplified: dl/dp * p (1 - p)",
                "(p - t) / (p (1 - p)) * p (1 - p) is right on paper, but for |z| >= 37 p "
                "rounds to 0 or 1 and it is 0/0 = NaN; cancel first: dl/dz = sigmoid(z) - t.",
                (("(sigmoid(z) - t) / s",
                  "(sigmoid(z) - t) / (sigmoid(z) * (1.0 - sigmoid(z))) "
                  "* (sigmoid(z) * (1.0 - sigmoid(z))) / s"),)),
        Mistake("used the logit instead of its sigmoid: z - t",
                "dl/dz = sigmoid(z) - t: the prediction is p = sigmoid(z), not z.",
                (("(sigmoid(z) - t) / s", "(z - t) / s"),)),
        Mistake("flipped the sign of the gradient: t - sigmoid(z)",
                "When sigmoid(z) > t the loss falls as z falls, so dl/dz = sigmoid(z) - t > 0.",
                (("(sigmoid(z) - t) / s", "(t - sigmoid(z)) / s"),)),
        Mistake("did not divide the gradient by the reduction's s",
                "The value is divided by s, so every term of its gradient is too.",
                (("(sigmoid(z) - t) / s", "(sigmoid(z) - t)"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="Every conv autoencoder demo trains on this loss: demos/conv_autoencoder.py.",
)
