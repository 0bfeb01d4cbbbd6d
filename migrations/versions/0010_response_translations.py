"""commander response translations (one per language); the response table
itself keeps its name after moving to tracker/responses/

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Generated like Alembic autogenerate from tracker/responses/models.py, read by hand.
    op.create_table('commander_response_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('translator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['commander_response.id'],
                            name=op.f('fk_commander_response_translation_response_id_commander_response'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['translator_id'], ['user.id'],
                            name=op.f('fk_commander_response_translation_translator_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commander_response_translation')),
    sa.UniqueConstraint('response_id', 'language', name=op.f('uq_commander_response_translation_response_id'))
    )


def downgrade():
    op.drop_table('commander_response_translation')
