from tests.ingest.presets.conftest import loaded, problems, ts

COLUMNS = ["source", "source_id", "email", "phone", "name", "first_name", "last_name", "address",
           "postcode", "city", "country", "birth_date", "updated_at", "_source_row"]  # fmt: skip


def test_hubspot_contacts_become_identities(ws, sample):
    result = ws.ingest(sample("hubspot.csv"), preset="hubspot")
    assert (result.table, result.rows_loaded, result.rows_quarantined) == ("identities", 2, 1)
    assert loaded(ws, "identities", COLUMNS, "source_id") == [
        ("hubspot", "101", "ann@example.com", "+1 555 0100", None, "Ann", "Lee", "1 Main St",
         "12345", "Springfield", "United States", None, ts("2024-01-10 14:30"), 2),
        ("hubspot", "102", "ivan@example.ru", "+7 495 123-45-67", None, "Иван", "Петров",
         "ул. Тверская 1", "125009", "Москва", "Russia", None, ts("2024-01-11 08:15"), 3),
    ]  # fmt: skip
    assert problems(ws) == [(4, "updated_at", "updated_at '31/31/2024' is not a valid timestamp")]


def test_salesforce_data_loader_capitals_become_identities(ws, sample):
    result = ws.ingest(sample("salesforce.csv"), preset="salesforce")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert loaded(ws, "identities", COLUMNS, "source_id") == [
        ("salesforce", "0035g00000AbCdEAAV", "ann@example.com", "+1 555 0100", "Ann Lee", "Ann",
         "Lee", "1 Main St", "12345", "Springfield", "USA", "1985-04-12",
         ts("2024-01-10 14:30"), 2),
        ("salesforce", "0035g00000AbCdFAAV", "maria@example.ru", None, "Мария Иванова", "Мария",
         "Иванова", None, "190000", "Санкт-Петербург", "Russia", None, ts("2024-01-12 09:00"), 3),
    ]  # fmt: skip
    assert problems(ws) == [(4, "source_id", "source_id: required value is missing")]
