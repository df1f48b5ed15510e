from django.apps import AppConfig


class LivechatConfig(AppConfig):
    name = "apps.livechat"
    label = "livechat"
