"""Channels: reports that arrive by another road than the web form.

OpenRosa (ODK Collect, KoboCollect, Enketo), the KoboToolbox REST Service,
and SMS/chat gateways (Twilio SMS/WhatsApp, RapidPro/TextIt), all as
adapters over tracker.intake's services (DESIGN §8b).
"""
