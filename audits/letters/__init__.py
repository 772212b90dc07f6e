"""Letters for every step of the enforcement ladder (teguran-1, teguran-2, denda, tmp2t) and the
revocation of a TMP2T, on the letterhead of the issuing BPJS Ketenagakerjaan office.

    from patuh.audits.letters import load_office_config, write_letters
    office = load_office_config("fixtures/kantor-kalbar.yaml")
    paths = write_letters(engine, run_id, office, out_dir, letter_date, lang="id", pdf=True)
"""
from .office import OfficeConfig, OfficeConfigError, find_office_config, load_office_config
from .render import render_letters, write_letters

__all__ = ["OfficeConfig", "OfficeConfigError", "find_office_config", "load_office_config", "render_letters",
           "write_letters"]
