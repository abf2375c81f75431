"""backend/redis_poll.py: redis-py's pool check, non-yielding and still correct."""

import socket

import gevent
from redis._parsers import hiredis

from backend import redis_poll
from backend.core.db import connect


def test_installs_on_this_redis_py():
    assert redis_poll.install() is True
    assert redis_poll.install() is True  # idempotent
    assert hiredis._socket_can_read.non_yielding


def test_zero_timeout_check_tells_idle_data_and_closed_apart():
    redis_poll.install()
    check = hiredis._socket_can_read
    a, b = socket.socketpair()
    try:
        assert check(a, 0) is False
        b.sendall(b"+PONG\r\n")
        assert check(a, 0) is True
        a.recv(100)
        assert check(a, 0) is False
        b.close()
        assert check(a, 0) is True  # EOF reads as ready: redis-py then drops the connection
    finally:
        a.close()


def test_zero_timeout_check_never_switches_greenlets():
    redis_poll.install()
    a, b = socket.socketpair()
    ran = []
    other = gevent.spawn(ran.append, "other greenlet")
    try:
        assert hiredis._socket_can_read(a, 0) is False
        assert ran == []  # no trip through the hub: the other greenlet did not get to run
        other.join(timeout=5)
        assert ran == ["other greenlet"]
    finally:
        a.close()
        b.close()


def test_other_timeouts_still_wait_in_redis_py_s_check():
    redis_poll.install()
    a, b = socket.socketpair()
    try:
        assert hiredis._socket_can_read(a, 0.05) is False
        b.sendall(b"+OK\r\n")
        assert hiredis._socket_can_read(a, 0.05) is True
    finally:
        a.close()
        b.close()


def test_pool_still_refuses_a_connection_with_unread_data(redis_url):
    """A reply left unread on a pooled connection is noticed; the next command is not confused."""
    redis_poll.install()
    r = connect(redis_url)
    try:
        pool = r.connection_pool
        conn = pool.get_connection()
        conn.send_command("ECHO", "left unread")
        assert conn.can_read(timeout=10)  # the reply has arrived: the pool check must see it
        pool.release(conn)
        assert r.echo("mine") == b"mine"
        assert r.lpush("redis-poll-test", "x") == 1
        assert r.lrange("redis-poll-test", 0, -1) == [b"x"]
    finally:
        r.delete("redis-poll-test")
        r.close()
