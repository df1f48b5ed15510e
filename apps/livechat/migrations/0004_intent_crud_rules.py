"""The rules the supervisors' CRUD API enforces: a response's reply type is one of LINE's message
types, and a keyword is unique in its category case-insensitively (the bot matches
case-insensitively). The constraint is an expression index, which SQLite supports too."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("livechat", "0003_message_media_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="intentresponse",
            name="reply_type",
            field=models.CharField(
                choices=[
                    ("text", "Text"),
                    ("sticker", "Sticker"),
                    ("image", "Image"),
                    ("video", "Video"),
                    ("audio", "Audio"),
                    ("location", "Location"),
                    ("imagemap", "Imagemap"),
                    ("template", "Template"),
                    ("flex", "Flex"),
                ],
                default="text",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="intentkeyword",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("keyword"), models.F("category"), name="lc_intent_keyword_unique"
            ),
        ),
    ]
