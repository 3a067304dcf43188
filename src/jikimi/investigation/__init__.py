"""Investigation support: linkage of channels, sites and posters that share content, and
litigation documents (an evidence list for a criminal complaint, a damages-claim summary)."""

from jikimi.investigation.documents import DocumentFormat, DocumentKind
from jikimi.investigation.exports import CsvTable, ExportFormat, to_csv, to_graphml, to_out
from jikimi.investigation.linkage import (
    DEFAULT_PDQ_THRESHOLD,
    Cluster,
    Content,
    Edge,
    Linkage,
    Place,
    Poster,
    Sighting,
    link,
    restrict,
)
from jikimi.investigation.schemas import LinkageOut
from jikimi.investigation.service import (
    ExportFile,
    case_linkage,
    centre_linkage,
    export_linkage,
    litigation_document,
    may_investigate,
)

__all__ = [
    "DEFAULT_PDQ_THRESHOLD", "Cluster", "Content", "CsvTable", "DocumentFormat",
    "DocumentKind", "Edge", "ExportFile", "ExportFormat", "Linkage", "LinkageOut", "Place",
    "Poster", "Sighting", "case_linkage", "centre_linkage", "export_linkage", "link",
    "litigation_document", "may_investigate", "restrict", "to_csv", "to_graphml", "to_out",
]
