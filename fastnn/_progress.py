"""Training progress output: a bar on a terminal, one plain line per epoch elsewhere."""

import sys
import time


def format_metrics(metrics):
    """Format {"loss": 0.1, ...} as 'loss 0.100000  val_loss ...'."""
    parts = []
    for key, value in metrics.items():
        if value is None:
            continue
        parts.append("%s %.6f" % (key, value) if isinstance(value, float) else "%s %s" % (key, value))
    return "  ".join(parts)


class EpochReporter:
    """Print training progress for `verbose` settings.

    One line per epoch ("epoch 3/200  loss 0.123456  ...  0.21 s"). On a
    terminal a progress bar for the running epoch is redrawn in place first.

    Parameters
    ----------
    n_epochs : int
        Planned number of epochs, shown as the denominator.
    enabled : bool
        When False, nothing is printed.
    stream : file, optional
        Where to print; sys.stdout by default.
    """

    BAR_WIDTH = 30

    def __init__(self, n_epochs, enabled=True, stream=None):
        self.n_epochs = n_epochs
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.show_bar = bool(enabled and isatty is not None and isatty())
        self._epoch_start = time.perf_counter()
        self._last_draw = 0.0

    def start_epoch(self, epoch):
        self._epoch = epoch
        self._epoch_start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, done, total, loss=None):
        """Redraw the bar for `done` of `total` batches (at most 10 times a second)."""
        if not self.show_bar:
            return
        now = time.perf_counter()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = int(self.BAR_WIDTH * done / max(total, 1))
        bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
        text = "epoch %d/%d [%s] %3d%%" % (self._epoch, self.n_epochs, bar, 100 * done // max(total, 1))
        if loss is not None:
            text += "  loss %.6f" % loss
        self.stream.write("\r" + text)
        self.stream.flush()

    def end_epoch(self, metrics):
        """Print the epoch's closing line with metrics such as {"loss": 0.12}."""
        if not self.enabled:
            return
        seconds = time.perf_counter() - self._epoch_start
        line = "epoch %d/%d  %s  %.2f s" % (self._epoch, self.n_epochs, format_metrics(metrics), seconds)
        if self.show_bar:
            self.stream.write("\r\x1b[2K")
        self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text):
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()
