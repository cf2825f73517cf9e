"""Campaign labels already stored, in the one spelling the API now keeps (shared.posts.schemas): Unicode NFC, with no
surrounding spaces. An `é` sent decomposed, or a label with a trailing space, had made a campaign of its own; such
rows now join the campaign they were meant for. A label of spaces alone becomes no campaign. Not undone on
downgrade: the old spellings are not kept, and the old code reads NFC labels as well as any.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE team_posts SET campaign = NULLIF(btrim(normalize(campaign, NFC), ' '), '')"
        " WHERE campaign IS NOT NULL AND (campaign IS NOT NFC NORMALIZED OR campaign <> btrim(campaign, ' '))"
    )


def downgrade() -> None:
    pass
