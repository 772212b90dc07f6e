"""PostgreSQL: the big data tables' reference to their import checked once per statement

Every row of participants, declarations, payments and payroll names the import it was loaded by
(`import_id`). As a foreign key, PostgreSQL checked that reference row by row, by a query of
`imports` per row inserted: 1.2 of the 2.9 seconds its server spent on COPYing the 350,000 rows of
a payroll table (docs/performance.md). This migration replaces those four foreign keys, on
PostgreSQL only, by triggers that enforce the same two rules per statement:

- rows inserted or updated must name an import that exists: checked once per INSERT, COPY or
  UPDATE over its rows (a statement trigger with a transition table), 0.4 s for those 350,000 rows;
- an import that rows still name can be neither deleted nor renumbered: checked at the end of
  the statement, as the foreign key's NO ACTION was (a constraint trigger on `imports`, which holds
  one row per package); and `imports` cannot be truncated, CASCADE or not, while those tables hold
  rows (TRUNCATE ... CASCADE follows foreign keys only, and would have left them orphaned).

A violation raises SQLSTATE 23503 (foreign_key_violation), as the foreign key did. What the triggers
do not do is the foreign key's row lock on the import (FOR KEY SHARE): a transaction inserting rows
for an import while another deletes that import could, both committing, leave rows without it. In
patuh nothing deletes or renumbers an import, and a load writes rows only for the import it created
in its own, not yet visible, transaction (audits/importer/load.py). SQLite keeps its
foreign keys: it checks them in-process, at no measurable cost. The schema's metadata still
declares the foreign keys (they are the rule, and SQLAlchemy joins by them); tests/test_store.py
checks that PostgreSQL lacks exactly these four and that the triggers refuse what the keys refused.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("participants", "declarations", "payments", "payroll")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
CREATE OR REPLACE FUNCTION patuh_rows_name_an_import() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM patuh_new_rows n
             WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.import_id = n.import_id)) THEN
    RAISE foreign_key_violation USING
      MESSAGE = format('insert or update on table "%s" names an import_id that is not in imports', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END $$""")
    checks = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE import_id = OLD.import_id)" for t in TABLES)
    any_rows = " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in TABLES)
    op.execute(f"""
CREATE OR REPLACE FUNCTION patuh_import_still_named() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF {any_rows} THEN
      RAISE foreign_key_violation USING
        MESSAGE = 'imports cannot be truncated while participants, declarations, payments or payroll hold rows';
    END IF;
  ELSIF (TG_OP = 'DELETE' OR NEW.import_id IS DISTINCT FROM OLD.import_id) AND ({checks}) THEN
    RAISE foreign_key_violation USING
      MESSAGE = format('import %s is still named by rows of the data tables', OLD.import_id);
  END IF;
  RETURN NULL;
END $$""")
    for t in TABLES:
        op.drop_constraint(f"fk_{t}_import_id_imports", t, type_="foreignkey")
        for event in ("INSERT", "UPDATE"):
            op.execute(f"CREATE TRIGGER {t}_import_{event.lower()} AFTER {event} ON {t}"
                       f" REFERENCING NEW TABLE AS patuh_new_rows FOR EACH STATEMENT"
                       f" EXECUTE FUNCTION patuh_rows_name_an_import()")
    # a constraint trigger runs at the end of the statement, like NO ACTION: one statement may delete
    # the rows and then their import (WITH d AS (DELETE FROM payroll ...) DELETE FROM imports ...)
    op.execute("CREATE CONSTRAINT TRIGGER imports_still_named AFTER DELETE OR UPDATE OF import_id ON imports"
               " FOR EACH ROW EXECUTE FUNCTION patuh_import_still_named()")
    op.execute("CREATE TRIGGER imports_truncate BEFORE TRUNCATE ON imports"
               " FOR EACH STATEMENT EXECUTE FUNCTION patuh_import_still_named()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER imports_truncate ON imports")
    op.execute("DROP TRIGGER imports_still_named ON imports")
    for t in TABLES:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER {t}_import_{event} ON {t}")
        op.create_foreign_key(f"fk_{t}_import_id_imports", t, "imports", ["import_id"], ["import_id"])
    op.execute("DROP FUNCTION patuh_import_still_named()")
    op.execute("DROP FUNCTION patuh_rows_name_an_import()")
