"""rollup_dirty: slices changed by the live upkeep while `flask rollup`
rebuilds, recomputed by the rebuild before it commits

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Generated like Alembic autogenerate from tracker/metrics/models.py, read by hand.
    op.create_table('rollup_dirty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('force_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_dirty'))
    )


def downgrade():
    op.drop_table('rollup_dirty')
