"""The campaign report as a PDF: a Django template rendered by WeasyPrint (pure: data in, bytes
out). Charts are the inline SVG the dashboard draws; Noto fonts make Devanagari legible."""

from django.template.loader import render_to_string


def render_campaign_pdf(report):
    """PDF bytes of a `reports.selectors.campaign_report`."""
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    html = render_to_string("reports/campaign_report.html", report)
    return HTML(string=html).write_pdf()


def pdf_filename(campaign, period):
    """A safe attachment name: ids and ISO dates only, whatever the campaign is called."""
    return f"campaign-{campaign.pk}-report-{period.first:%Y-%m-%d}-to-{period.last:%Y-%m-%d}.pdf"
