"""The Celery app prepares what its broker needs."""

from voiceagent.celery import ensure_broker_folders


def test_filesystem_broker_folders_are_created(tmp_path):
    options = {
        "data_folder_in": str(tmp_path / "celery" / "queue"),
        "data_folder_out": str(tmp_path / "celery" / "queue"),
        "processed_folder": str(tmp_path / "celery" / "processed"),
        "control_folder": str(tmp_path / "celery" / "control"),
        "store_processed": False,
    }

    ensure_broker_folders(options)

    assert sorted(p.name for p in (tmp_path / "celery").iterdir()) == [
        "control", "processed", "queue",
    ]  # fmt: skip
