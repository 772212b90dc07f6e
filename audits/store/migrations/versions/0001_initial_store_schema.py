"""initial store schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 (hand-checked autogenerate; Money columns are BIGINT sen)
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imports',
    sa.Column('import_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('package_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('province', sa.String(length=8), nullable=True),
    sa.Column('loaded_at', sa.DateTime(), nullable=True),
    sa.Column('warnings', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('import_id', name=op.f('pk_imports')),
    sa.UniqueConstraint('package_hash', name=op.f('uq_imports_package_hash'))
    )
    op.create_table('contract_amendments',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Text(), nullable=False),
    sa.Column('amended_on', sa.Date(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),  # Money: sen
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_contract_amendments_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_contract_amendments'))
    )
    with op.batch_alter_table('contract_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_amendments_import_id_contract_id'), ['import_id', 'contract_id'], unique=False)

    op.create_table('contracts',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('contractor_id', sa.Text(), nullable=False),
    sa.Column('owner', sa.Text(), nullable=False),
    sa.Column('funding', sa.String(length=16), nullable=False),
    sa.Column('ppk', sa.Text(), nullable=True),
    sa.Column('value', sa.BigInteger(), nullable=False),  # Money: sen
    sa.Column('spk_date', sa.Date(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('regency_code', sa.String(length=4), nullable=False),
    sa.Column('parent_contract_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_contracts_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('import_id', 'contract_id', name=op.f('uq_contracts_import_id_contract_id'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_import_id_contractor_id'), ['import_id', 'contractor_id'], unique=False)

    op.create_table('declarations',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('reported_wage', sa.BigInteger(), nullable=False),  # Money: sen
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_declarations_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_declarations'))
    )
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declarations_import_id_employer_id_period'), ['import_id', 'employer_id', 'period'], unique=False)

    op.create_table('employers',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('npwp', sa.String(length=16), nullable=True),
    sa.Column('nib', sa.String(length=13), nullable=True),
    sa.Column('npp', sa.Text(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('scale', sa.String(length=16), nullable=False),
    sa.Column('sector', sa.Text(), nullable=True),
    sa.Column('jkk_risk_group', sa.Integer(), nullable=True),
    sa.Column('programs', sa.Text(), nullable=True),
    sa.Column('regency_code', sa.String(length=4), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_employers_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_employers')),
    sa.UniqueConstraint('import_id', 'employer_id', name=op.f('uq_employers_import_id_employer_id'))
    )
    op.create_table('enforcement_actions',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_enforcement_actions_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_enforcement_actions'))
    )
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enforcement_actions_import_id_employer_id'), ['import_id', 'employer_id'], unique=False)

    op.create_table('import_files',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('file', sa.Text(), nullable=False),
    sa.Column('sheet', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_import_files_import_id_imports'))
    )
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_files_import_id'), ['import_id'], unique=False)

    op.create_table('participants',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('kpj', sa.String(length=11), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_participants_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_participants'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_import_id_employer_id_nik'), ['import_id', 'employer_id', 'nik'], unique=False)

    op.create_table('payments',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),  # Money: sen
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_payments_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_import_id_employer_id_period'), ['import_id', 'employer_id', 'period'], unique=False)

    op.create_table('payroll',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('employment', sa.String(length=16), nullable=False),
    sa.Column('wage', sa.BigInteger(), nullable=False),  # Money: sen
    sa.Column('bpjs_deduction', sa.BigInteger(), nullable=False),  # Money: sen
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_payroll_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_payroll'))
    )
    with op.batch_alter_table('payroll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payroll_import_id_employer_id_period'), ['import_id', 'employer_id', 'period'], unique=False)

    op.create_table('project_registrations',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Text(), nullable=False),
    sa.Column('registration_no', sa.Text(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('declared_value', sa.BigInteger(), nullable=False),  # Money: sen
    sa.Column('contribution_paid', sa.BigInteger(), nullable=False),  # Money: sen
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_project_registrations_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_project_registrations'))
    )
    with op.batch_alter_table('project_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_registrations_import_id_contract_id'), ['import_id', 'contract_id'], unique=False)

    op.create_table('runs',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('package_hash', sa.String(length=64), nullable=False),
    sa.Column('ruleset_revision', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('period_from', sa.String(length=7), nullable=True),
    sa.Column('period_to', sa.String(length=7), nullable=True),
    sa.Column('parameters_json', sa.Text(), nullable=True),
    sa.Column('counts_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_runs_import_id_imports')),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_runs'))
    )
    op.create_table('villages',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('regency_code', sa.String(length=4), nullable=False),
    sa.Column('officials', sa.Integer(), nullable=False),
    sa.Column('officials_registered', sa.Integer(), nullable=False),
    sa.Column('bpd_members', sa.Integer(), nullable=True),
    sa.Column('bpd_registered', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_villages_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_villages'))
    )
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_import_id_regency_code'), ['import_id', 'regency_code'], unique=False)

    op.create_table('workforce',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('src_file', sa.Text(), nullable=False),
    sa.Column('src_sheet', sa.Text(), nullable=True),
    sa.Column('src_row', sa.Integer(), nullable=False),
    sa.Column('regency_code', sa.String(length=4), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sector', sa.Text(), nullable=True),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['imports.import_id'], name=op.f('fk_workforce_import_id_imports')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_workforce'))
    )
    with op.batch_alter_table('workforce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workforce_import_id_regency_code'), ['import_id', 'regency_code'], unique=False)

    op.create_table('cases',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('categories', sa.Text(), nullable=True),
    sa.Column('total_amount', sa.BigInteger(), nullable=True),  # Money: sen
    sa.Column('total_late_fee', sa.BigInteger(), nullable=True),  # Money: sen
    sa.Column('next_steps', sa.Text(), nullable=True),
    sa.Column('wait_until', sa.Date(), nullable=True),
    sa.Column('trace_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], name=op.f('fk_cases_run_id_runs')),
    sa.PrimaryKeyConstraint('run_id', 'employer_id', name=op.f('pk_cases'))
    )
    op.create_table('findings',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('finding_id', sa.String(length=64), nullable=False),
    sa.Column('rule_id', sa.Text(), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('subject_type', sa.Text(), nullable=False),
    sa.Column('subject_id', sa.Text(), nullable=False),
    sa.Column('employer_id', sa.Text(), nullable=True),
    sa.Column('contract_id', sa.Text(), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),  # Money: sen
    sa.Column('late_fee', sa.BigInteger(), nullable=True),  # Money: sen
    sa.Column('severity', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('trace_json', sa.Text(), nullable=True),
    sa.Column('evidence_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], name=op.f('fk_findings_run_id_runs')),
    sa.PrimaryKeyConstraint('run_id', 'finding_id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_run_id_employer_id'), ['run_id', 'employer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_run_id_employer_id'))

    op.drop_table('findings')
    op.drop_table('cases')
    with op.batch_alter_table('workforce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workforce_import_id_regency_code'))

    op.drop_table('workforce')
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_import_id_regency_code'))

    op.drop_table('villages')
    op.drop_table('runs')
    with op.batch_alter_table('project_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_registrations_import_id_contract_id'))

    op.drop_table('project_registrations')
    with op.batch_alter_table('payroll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payroll_import_id_employer_id_period'))

    op.drop_table('payroll')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_import_id_employer_id_period'))

    op.drop_table('payments')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_import_id_employer_id_nik'))

    op.drop_table('participants')
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_files_import_id'))

    op.drop_table('import_files')
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_import_id_employer_id'))

    op.drop_table('enforcement_actions')
    op.drop_table('employers')
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declarations_import_id_employer_id_period'))

    op.drop_table('declarations')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_import_id_contractor_id'))

    op.drop_table('contracts')
    with op.batch_alter_table('contract_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_amendments_import_id_contract_id'))

    op.drop_table('contract_amendments')
    op.drop_table('imports')
