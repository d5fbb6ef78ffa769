"""Reading uploaded lead files: type and size checks, then CSV or XLSX rows streamed one by one.

Nothing here holds a whole file in memory: CSV is decoded incrementally, XLSX is read with
openpyxl's read-only mode. A file that cannot be read is refused with `FileRejected`, whose
message says what is wrong in words the uploader can act on.
"""

import codecs
import csv
import io
import os
import re
import zipfile

import openpyxl
from django.conf import settings

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
XLSX_EXTENSIONS = {".xlsx"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)
SAMPLE_BYTES = 64 * 1024
# A real workbook inflates 5-10 times; far more means a ZIP bomb, not a lead list.
EXPANSION_LIMIT = 20
DELIMITERS = (",", ";", "\t", "|")
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class FileRejected(Exception):
    """The whole file is refused; `detail` says why."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


def file_size(file):
    position = file.tell()
    size = file.seek(0, io.SEEK_END)
    file.seek(position)
    return size


def _limit_text(limit):
    return f"{limit:,} bytes ({limit / 2**20:g} MB, setting LEAD_IMPORT_MAX_BYTES)"


def check_request_size(content_length):
    """Refuse an upload by its Content-Length, before the body is parsed (and spooled to disk)."""
    limit = settings.LEAD_IMPORT_MAX_BYTES
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    # Multipart framing adds a few hundred bytes to the file; leave it room.
    if length > limit + 64 * 1024:
        raise FileRejected(
            f"The upload is {length:,} bytes; the largest accepted file is {_limit_text(limit)}. "
            "Split it into smaller files."
        )


def check_upload(*, file, filename):
    """The kind of an upload ("csv" or "xlsx"), or FileRejected for its size or type."""
    size = file_size(file)
    limit = settings.LEAD_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRejected(
            f"The file is {size:,} bytes; the largest accepted is {_limit_text(limit)}. "
            "Split it into smaller files."
        )
    if size == 0:
        raise FileRejected("The file is empty.")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    extension = os.path.splitext(filename or "")[1].lower()
    if extension == ".xls" or head.startswith(OLE_MAGIC):
        raise FileRejected("Legacy Excel .xls files are not supported; save it as .xlsx or CSV.")
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(ZIP_MAGIC):
            raise FileRejected(f"{filename!r} is not an XLSX workbook (its content is not a ZIP).")
        return "xlsx"
    if extension in CSV_EXTENSIONS:
        if head.startswith(ZIP_MAGIC):
            raise FileRejected(f"{filename!r} is a ZIP or XLSX file, not CSV text; name it .xlsx.")
        return "csv"
    if extension:
        raise FileRejected(f"Unsupported file type {extension!r}: upload a .csv or .xlsx file.")
    return "xlsx" if head.startswith(ZIP_MAGIC) else "csv"


def open_source(file, kind):
    return XlsxSource(file) if kind == "xlsx" else CsvSource(file)


class CsvSource:
    """Rows of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""

    def __init__(self, file):
        self.file = file
        self.size = file_size(file) or 1
        file.seek(0)
        sample = file.read(SAMPLE_BYTES)
        file.seek(0)
        self.encoding = detect_encoding(sample)
        text = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(sample)
        if len(_BINARY_CHARS.findall(text)) > max(2, len(text) // 100):
            raise FileRejected("The file holds binary data, not CSV text.")
        self.delimiter = detect_delimiter(text)

    def rows(self):
        """(row number, cells) for every record, blank ones included so numbers match a sheet."""
        text = io.TextIOWrapper(self.file, encoding=self.encoding, newline="")
        reader = csv.reader(text, delimiter=self.delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError:
            raise FileRejected(
                f"Line {self._line_of_decode_error()}: the file is not valid "
                f"{ENCODING_NAMES[self.encoding]} text; save it as 'CSV UTF-8' and upload it again."
            ) from None
        except csv.Error as exc:
            raise FileRejected(f"Row {number + 1}: the CSV cannot be read ({exc}).") from None
        finally:
            text.detach()

    def fraction_done(self):
        return min(self.file.tell() / self.size, 1.0)

    def _line_of_decode_error(self):
        """The physical line of the first undecodable byte (the text layer decodes ahead)."""
        self.file.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)()
        line = 1
        for block in iter(lambda: self.file.read(SAMPLE_BYTES), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + (pending + block)[: exc.start].count(b"\n")
            line += block.count(b"\n")
        return line


def detect_encoding(sample):
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise FileRejected("The file holds binary data, not CSV text.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(sample):
            # Real UTF-8 text (e.g. Devanagari) with a broken byte: Windows-1252 would garble it.
            line = sample[: exc.start].count(b"\n") + 1
            raise FileRejected(
                f"Line {line}: the file is not valid UTF-8 "
                "text; save it as 'CSV UTF-8' and upload it again."
            ) from None
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        raise FileRejected(
            "The file is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8'."
        ) from None


def detect_delimiter(text):
    """The most frequent of , ; tab | on the first non-blank line (a single column: comma)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def check_expanded_size(file):
    """Refuse a workbook that inflates far beyond any real lead list (a ZIP bomb)."""
    limit = settings.LEAD_IMPORT_MAX_BYTES * EXPANSION_LIMIT
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(
            f"The file is not a readable XLSX workbook ({type(exc).__name__})."
        ) from None
    if expanded > limit:
        raise FileRejected(
            f"The workbook expands to {expanded:,} bytes, more than {limit:,}; "
            "save it as CSV or split it."
        )


class XlsxSource:
    """Rows of the first worksheet of an XLSX workbook, read-only (streamed from the ZIP)."""

    def __init__(self, file):
        check_expanded_size(file)
        file.seek(0)
        try:
            # Formulas are read as their text (data_only=False) so they can be refused as such.
            self.workbook = openpyxl.load_workbook(file, read_only=True, data_only=False)
            sheet = self.workbook.worksheets[0]
            self.declared_rows = sheet.max_row or 0
            # Some writers declare wrong dimensions; read what is there, not what is declared.
            sheet.reset_dimensions()
        except Exception as exc:
            # openpyxl, zipfile and lxml raise a dozen unrelated types for damaged workbooks.
            raise FileRejected(
                f"The file is not a readable XLSX workbook ({type(exc).__name__})."
            ) from None
        self.sheet = sheet
        self.rows_read = 0

    def rows(self):
        try:
            for number, values in enumerate(self.sheet.iter_rows(values_only=True), start=1):
                self.rows_read = number
                yield number, list(values)
        except Exception as exc:
            raise FileRejected(
                f"Row {self.rows_read + 1}: the workbook is damaged ({type(exc).__name__})."
            ) from None
        finally:
            self.workbook.close()

    def fraction_done(self):
        if not self.declared_rows:
            return 0.0
        return min(self.rows_read / self.declared_rows, 1.0)
