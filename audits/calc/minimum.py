"""The minimum wage a worker of a regency must get in a month (PP 51/2023 Pasal 33)."""
from __future__ import annotations

import datetime as dt

from patuh.engine.parameters import ParamUse, ParameterStore


def minimum_wage(regency_code: str, on: dt.date, params: ParameterStore, trace: list | None = None) -> ParamUse | None:
    """The UMK of the regency for the year of `on`; the UMP where no UMK is set or the UMK is
    below it. None when neither is in force. The use returned (and traced) is the one applied."""
    ump = params.find("ump", on)
    umk = params.find("umk", on, str(regency_code))
    chosen = umk if umk is not None and (ump is None or umk.value >= ump.value) else ump
    if trace is not None and chosen is not None:
        trace.append(chosen)
    return chosen
