"""OCDS 1.1.5 merge rules, as ``ocdsmerge`` derives them from the release schema.

Shipped as data so that compiling releases never reaches the network (ocdsmerge downloads the
schema when it is given neither a schema nor merge rules). Derived once with
``ocdsmerge.rules.get_merge_rules(release-schema.json)`` from the OCDS 1.1.5 release schema
(https://standard.open-contracting.org/1.1/en/schema/merging/); paths of extensions that are not
listed merge field by field, which is the standard's default."""

MERGE_RULES: dict[tuple[str, ...], str] = {
    ('awards', 'amendment', 'changes'): 'wholeListMerge',
    ('awards', 'amendments', 'changes'): 'wholeListMerge',
    ('awards', 'items', 'additionalClassifications'): 'wholeListMerge',
    ('awards', 'suppliers', 'additionalIdentifiers'): 'wholeListMerge',
    ('buyer', 'additionalIdentifiers'): 'wholeListMerge',
    ('contracts', 'amendment', 'changes'): 'wholeListMerge',
    ('contracts', 'amendments', 'changes'): 'wholeListMerge',
    ('contracts', 'implementation', 'transactions', 'payee', 'additionalIdentifiers'): 'wholeListMerge',
    ('contracts', 'implementation', 'transactions', 'payer', 'additionalIdentifiers'): 'wholeListMerge',
    ('contracts', 'items', 'additionalClassifications'): 'wholeListMerge',
    ('contracts', 'relatedProcesses', 'relationship'): 'wholeListMerge',
    ('date',): 'omitWhenMerged',
    ('id',): 'omitWhenMerged',
    ('parties', 'additionalIdentifiers'): 'wholeListMerge',
    ('parties', 'roles'): 'wholeListMerge',
    ('relatedProcesses', 'relationship'): 'wholeListMerge',
    ('tag',): 'omitWhenMerged',
    ('tender', 'additionalProcurementCategories'): 'wholeListMerge',
    ('tender', 'amendment', 'changes'): 'wholeListMerge',
    ('tender', 'amendments', 'changes'): 'wholeListMerge',
    ('tender', 'items', 'additionalClassifications'): 'wholeListMerge',
    ('tender', 'procuringEntity', 'additionalIdentifiers'): 'wholeListMerge',
    ('tender', 'submissionMethod'): 'wholeListMerge',
    ('tender', 'tenderers', 'additionalIdentifiers'): 'wholeListMerge',
    # the Location extension (items[].deliveryLocation): a list of strings merges whole, as in core
    ('tender', 'items', 'deliveryLocation', 'gazetteer', 'identifiers'): 'wholeListMerge',
    ('awards', 'items', 'deliveryLocation', 'gazetteer', 'identifiers'): 'wholeListMerge',
    ('contracts', 'items', 'deliveryLocation', 'gazetteer', 'identifiers'): 'wholeListMerge',
}
