"""release and release_cell: the protected, frozen statistics release

Revision ID: 0005
Revises: 0006
Create Date: 2026-12-01 05:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release')),
    sa.UniqueConstraint('month', name='uq_release_month')
    )
    op.create_table('release_cell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('tbl', sa.String(length=24), nullable=False),
    sa.Column('grain', sa.String(length=5), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], name=op.f('fk_release_cell_release_id_release'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_cell'))
    )
    with op.batch_alter_table('release_cell', schema=None) as batch_op:
        batch_op.create_index('ix_release_cell_read', ['scope', 'tbl', 'grain', 'period', 'key'], unique=False)
        batch_op.create_index('ix_release_cell_release', ['release_id'], unique=False)


def downgrade():
    with op.batch_alter_table('release_cell', schema=None) as batch_op:
        batch_op.drop_index('ix_release_cell_release')
        batch_op.drop_index('ix_release_cell_read')
    op.drop_table('release_cell')
    op.drop_table('release')
