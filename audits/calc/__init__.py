"""Pure calculators over Decimal and dated parameters, shared by the rules, the dossiers and the
`patuh calc` simulators so that all three always agree."""
