"""channels: device tokens, channel submissions, SMS conversations and contacts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Generated like Alembic autogenerate from tracker/channels/models.py, read by hand.
    op.create_table('device_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_device_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_device_token_token_hash'))
    )
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_token_user_id'), ['user_id'], unique=False)

    op.create_table('channel_submission',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('receipt_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_channel_submission_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_channel_submission'))
    )
    with op.batch_alter_table('channel_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_submission_report_id'), ['report_id'], unique=False)

    op.create_table('sms_conversation',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('state_enc', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_sms_conversation'))
    )
    with op.batch_alter_table('sms_conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_conversation_updated_at'), ['updated_at'], unique=False)

    op.create_table('sms_contact',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_sms_contact_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_sms_contact'))
    )


def downgrade():
    op.drop_table('sms_contact')
    with op.batch_alter_table('sms_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_conversation_updated_at'))
    op.drop_table('sms_conversation')
    with op.batch_alter_table('channel_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_submission_report_id'))
    op.drop_table('channel_submission')
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_token_user_id'))
    op.drop_table('device_token')
