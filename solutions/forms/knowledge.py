"""Knowledge base forms. Lengths are checked by the services too (the import and the ticket
flow use them without a form); the form gives the same answer next to the field at once."""

from __future__ import annotations

from typing import TypedDict

from django import forms
from django.core.files.uploadedfile import UploadedFile

from ..services.knowledge import (
    BODY_MAX,
    CATEGORY_MAX,
    IMPORT_MAX_BYTES,
    TITLE_MAX,
    TITLE_MIN,
)


class ArticleFields(TypedDict):
    title: str
    body: str
    category: str


class ArticleForm(forms.Form):
    title = forms.CharField(
        min_length=TITLE_MIN,
        max_length=TITLE_MAX,
        error_messages={
            "required": "Give the article a title.",
            "min_length": f"Give the article a title of at least {TITLE_MIN} characters.",
        },
    )
    category = forms.CharField(max_length=CATEGORY_MAX, required=False)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=BODY_MAX,
        error_messages={
            "required": "Write the article's text.",
            "max_length": f"The text is limited to {BODY_MAX:,} characters.",
        },
    )

    def article(self) -> ArticleFields:
        """What the article services take (create and update), from a valid form."""
        data = self.cleaned_data
        return ArticleFields(title=data["title"], body=data["body"], category=data["category"])


class ArticleImportForm(forms.Form):
    file = forms.FileField(
        error_messages={
            "required": "Choose a CSV file to import.",
            "empty": "The file is empty.",
        }
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Import the valid rows and skip the bad ones",
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # Checked before the file is read into memory; the service checks the bytes again.
        if (upload.size or 0) > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {IMPORT_MAX_BYTES // 1024 // 1024} MB. "
                "Split it into smaller files."
            )
        return upload
