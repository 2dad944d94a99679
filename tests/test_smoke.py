from factories import act, receive, vn


def test_dossier_goes_through_two_agencies(demo):
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    assert d.code == "000.00.17.H56-261120-0001"
    assert d.status == "received"
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    assert d.current_agency.identifier == "000.00.22.H56"
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 11, 25, 10, 0))
    assert d.current_agency.identifier == "000.00.21.H56"
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 26, 10, 0))
    assert d.status == "result_ready"
    act(d, "return", "tiepnhan", at=vn(2026, 11, 27, 10, 0), collected_by="Nguyễn Văn Đức")
    assert d.status == "returned"
    assert d.finish_state == "early"
