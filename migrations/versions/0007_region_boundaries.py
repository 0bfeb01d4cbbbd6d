"""region boundaries for the district and province maps

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-01 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_boundary',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('polygons', sa.JSON(), nullable=False),
    sa.Column('vertices', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_region_boundary_region_id_region'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', name=op.f('pk_region_boundary'))
    )


def downgrade():
    op.drop_table('region_boundary')
