"""Long stages: a bar with an ETA on a terminal, plain numbered lines otherwise."""
import io

from patuh.audits.progress import progress_for


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_terminal_gets_a_bar_with_rate_and_eta():
    out = Tty()
    p = progress_for("dosir / dossiers", out)
    for i in range(1, 4):
        p(i, 3, f"dossiers/x/{i}")
    text = out.getvalue()
    assert "dosir / dossiers" in text and "3/3" in text and "100%" in text and "dok" in text
    assert "<" in text  # tqdm's elapsed<remaining (the ETA)


def test_pipe_gets_plain_lines(capsys):
    p = progress_for("dosir / dossiers", io.StringIO())
    for i in range(1, 1201, 600):
        p(i, 1200, f"dossiers/x/{i}")
    err = capsys.readouterr().err.splitlines()
    assert err == ["  … 1/1.200 dossiers/x/1", "  … 601/1.200 dossiers/x/601"]
