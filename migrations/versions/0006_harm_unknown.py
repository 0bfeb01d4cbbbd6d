"""harm numbers may be unknown (NULL) instead of 0

A harm box the reporter left empty ("leave the box empty if you do not
know") is now stored as NULL, so officers see "unknown" rather than 0.
Existing rows keep their numbers: an old 0 cannot be told apart from an old
empty box, so it is left as it was.

Revision ID: 0006
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None

HARM_COLUMNS = ('killed', 'injured', 'detained', 'missing', 'displaced_households')


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        for name in HARM_COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=True)


def downgrade():
    for name in HARM_COLUMNS:
        op.execute(sa.text(f"UPDATE report SET {name} = 0 WHERE {name} IS NULL"))
    with op.batch_alter_table('report', schema=None) as batch_op:
        for name in HARM_COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
