"""Import every feature's models so that metadata (Alembic, tests) sees all tables."""

from portal.admin.models import SiteSetting  # noqa: F401
from portal.auth.federation.models import CompanyIdentityProvider, FederatedIdentity, FederationDomain  # noqa: F401
from portal.auth.models import User  # noqa: F401
from portal.auth.provider.models import AuthorizationCode, Consent, IssuedToken, OAuthClient, SigningKey  # noqa: F401
from portal.broker.models import BrokerBatch, BrokerBatchItem  # noqa: F401
from portal.clouds.models import BucketTerm, PersonTerm, PostTerms  # noqa: F401
from portal.companies.models import Company, CompanyDomain, CompanyInvitation, CompanyTag  # noqa: F401
from portal.documents.models import Document, DocumentVersion  # noqa: F401
from portal.feeds.models import Activity, ActivityTarget, Follow  # noqa: F401
from portal.forums.models import (  # noqa: F401
    Category,
    Flag,
    ForumGroup,
    GroupMember,
    Mention,
    ModerationAction,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadRead,
    ThreadTag,
)
from portal.introductions.models import BrokerRequest, Introduction, IntroductionSuggestion  # noqa: F401
from portal.mail.models import OutboxMessage  # noqa: F401
from portal.messages.models import Block, Conversation, Message, MessageReport, Participant  # noqa: F401
from portal.notifications.models import Notification, NotificationPreference  # noqa: F401
from portal.partnerships.models import (  # noqa: F401
    BackendSystem,
    Entitlement,
    EntitlementGrant,
    EntitlementRevocation,
    PartnerAuditEntry,
    Partnership,
)
from portal.profiles.models import Connection, ConnectionRequest, Person, PersonLink, PersonTag  # noqa: F401
from portal.realtime.models import LiveEvent  # noqa: F401
from portal.search.models import SearchDocumentRow  # noqa: F401
from portal.tags.models import Tag, TagAlias  # noqa: F401
from portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
