"""Embedded servers, one class each, keyed by the service name used in stack.json."""

from devstack.servers.base import EmbeddedServer
from devstack.servers.mongodb import MongoServer
from devstack.servers.postgres import PostgresServer
from devstack.servers.redis import BrokerRedisServer, CacheRedisServer

SERVER_CLASSES: dict[str, type[EmbeddedServer]] = {
    "postgres": PostgresServer,
    "cache": CacheRedisServer,
    "broker": BrokerRedisServer,
    "mongodb": MongoServer,
}
