from django import forms

from .services.outbound import REPLY_MAX


class AliasForm(forms.Form):
    address = forms.CharField(max_length=254)


class RequesterReplyForm(forms.Form):
    body = forms.CharField(max_length=REPLY_MAX, widget=forms.Textarea)
