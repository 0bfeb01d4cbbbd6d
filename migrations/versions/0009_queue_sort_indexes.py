"""queue sort indexes: newest/oldest and recently changed

Revision ID: 0009
Revises: 0001
Create Date: 2026-12-01 06:00:00

"""
from alembic import op

revision = '0009'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_created', ['body_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_case_updated', ['body_id', 'updated_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_updated')
        batch_op.drop_index('ix_case_created')
