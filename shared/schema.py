"""Imports every domain's models so that Base.metadata holds the whole schema (Alembic, tests)."""

from shared.admin import models as admin_models
from shared.analysis import models as analysis_models
from shared.billing import models as billing_models
from shared.catalogue import models as catalogue_models
from shared.creators import models as creators_models
from shared.credits import models as credits_models
from shared.discovery import models as discovery_models
from shared.events import models as events_models
from shared.jobs import models as jobs_models
from shared.maintenance import models as maintenance_models
from shared.orm import Base
from shared.posts import models as posts_models
from shared.teams import models as teams_models

metadata = Base.metadata

__all__ = [
    "admin_models",
    "analysis_models",
    "billing_models",
    "catalogue_models",
    "creators_models",
    "credits_models",
    "discovery_models",
    "events_models",
    "jobs_models",
    "maintenance_models",
    "metadata",
    "posts_models",
    "teams_models",
]
