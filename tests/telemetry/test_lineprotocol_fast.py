"""The fast path of parse_lines: on every line it says what the exact scanner says, types included."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from telemetry.lineprotocol import LineProtocolError, _parse_scanned, parse_lines
from tests.telemetry.test_lineprotocol_fuzz import FUZZ


def _assert_agrees_with_the_scanner(text: str) -> None:
    points, errors = parse_lines(text.encode())
    try:
        expected = _parse_scanned(text, 1, None)
    except LineProtocolError:
        expected = None
    if expected is None:
        assert points == []
        assert len(errors) == 1
        return
    assert errors == []
    assert points == [expected]
    assert [type(v) for v in points[0].fields.values()] == [type(v) for v in expected.fields.values()]


@pytest.mark.parametrize(
    "text",
    [
        "cpu,cpu=cpu0,host=a usage_user=12.5,usage_idle=83.1,usage_nice=0.0,x=-.5,y=5.,z=1e-05 1700000000000000000",
        "net,host=a bytes_recv=123456789u,drop_in=0u,n=-12i,m=0i 1700000000000000000",
        "mem,host=a active=4123456512i,available_percent=48.4,ok=true,off=F,on=TRUE",
        "m v=9223372036854775807i,w=-9223372036854775808i,u=18446744073709551615u",
        "m v=9223372036854775808i",
        "m v=18446744073709551616u",
        "m v=1u,w=-1u",
        "m v=-1.5,w=1u,ok=true",
        "m v=-1.5,ok=true",
        "m v=1e400",
        "m v=1e300,w=1e300",
        "m v=-1e400,ok=true",
        "m v=1" + "0" * 400,
        "m v=nan",
        "m v=1,w=NaN",
        "m v=inf,w=1i",
        "m v=1_000,w=2",
        "m v=1_0i",
        "m v=+1",
        "m v=+1i,w=1",
        "m v=1e+5,w=1E-5",
        "m v=1.5i",
        "m v=1iu,w=2.0",
        "m v=1ii,w=20",
        "m v=1i2,w=3i",
        "m v=tru,w=1",
        "m v=1,v=2",
        "m,t=1,t=2 v=1",
        "m,t=1 v=1,w",
        "m v=1 -5",
        "m v=1 9223372036854775808",
        "m v=1  5",
        "m,#=1 #=2",
        "m,t=a\\ b,u=c\\,d\\=e v\\ w=1,x=2i",
        "m\\ n\\=o,t=a v=1",
        "m,t=C:\\Temp v=1",
        "Küche,raum=Wohnzimmer température=21.5,n=1i",
        "m,t=\u00a0 v=1",
        'system,host=a uptime=1i,uptime_format="14 days,  6:56" 1700000000000000000',
        'm s="a,b=c d",t="",u=1.5,ok=t',
        'm s="a",s="b"',
        'm s="a"b',
        'm s="a""b"',
        'm s="x',
        'm,t="x" v=1',
        'm "s"=1',
        'm s="x" 1 2',
        'm s="x"  1',
        'm s="\\"',
        'q"m,t"=v" f"k=1',
    ],
)
def test_fast_path_agrees_with_the_scanner_on_tricky_values(text):
    _assert_agrees_with_the_scanner(text)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('ab=, \\"#.-+_19eEiunNtTfF')), min_size=1, max_size=40))
def test_fast_path_agrees_with_the_scanner(text):
    assume(text.strip(" ") and not text.lstrip(" ").startswith("#"))  # parse_lines skips those
    _assert_agrees_with_the_scanner(text)
