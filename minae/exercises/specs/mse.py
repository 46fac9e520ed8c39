"""Exercise mse: the squared-error loss and its gradient (``minae/losses.py``)."""

from minae.exercises.harness import loss_checks
from minae.exercises.spec import Exercise, Mistake
from minae.exercises.specs.loss_cases import loss_cases

run, expected = loss_checks("minae.losses", "mse")

EXERCISE = Exercise(
    name="mse",
    title="the squared-error loss and its gradient",
    module="minae.losses",
    objects=("mse",),
    where="mse",
    task="""
        Finish mse: return the loss value (a float) and grad = dL/dprediction, both under the
        reduction: "batch" divides the sum by N, "mean" by the number of elements, "sum" by 1
        (s, computed for you).
        """,
    math="""
        With d = p - t (element by element) and s the reduction's divisor:

            L = sum(d**2) / s          dL/dp[i] = ?
        """,
    shapes="prediction, target, grad: (N, ...), all the same; the value is a float.",
    hints=(
        "Differentiate one term, (p[i] - t[i])**2 / s, with respect to p[i]; no other term "
        "depends on p[i].",
        "The square gives a factor 2 and the division by s stays: the gradient has the "
        "prediction's shape.",
        "return float(np.sum(diff * diff) / s), 2.0 * diff / s",
    ),
    checked_by="""
        5 cases: shapes (N, D) and (N, C, H, W), each reduction, a batch of 1, and one in
        float32 (compared with minae's float64 answer at a float32 tolerance, the gradient's
        dtype checked). The value is compared with minae's mse and grad with the
        central-difference gradient of the value.
        """,
    mistakes=(
        Mistake("forgot the factor 2 from the square",
                "d/dp (p - t)**2 = 2 (p - t).",
                (("2.0 * diff / s", "diff / s"),)),
        Mistake("did not divide the gradient by the reduction's s",
                "The value is divided by s, so every term of its gradient is too.",
                (("2.0 * diff / s", "2.0 * diff"),)),
        Mistake("flipped the sign of the gradient: 2 (t - p)",
                "The loss grows as p moves away from t: dL/dp = 2 (p - t) / s.",
                (("2.0 * diff / s", "-2.0 * diff / s"),)),
    ),
    make_cases=lambda rng: loss_cases(rng, logits=False),
    run=run,
    expected=expected,
    next_step="The lesson's VAE uses the summed squared error: demos/vae.py.",
)
