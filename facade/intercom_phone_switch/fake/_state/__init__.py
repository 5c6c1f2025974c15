"""What the fake workspace remembers: the SMS it sent and the contacts it updated."""

from .contacts import Contact, Contacts
from .outbox import Outbox, SentSms

__all__ = ["Contact", "Contacts", "Outbox", "SentSms"]
