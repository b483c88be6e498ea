#include "go_asm.h"
#include "textflag.h"

// CRC_LOOP folds CX bytes at SI into the running (inverted) CRC in AX: 8 bytes at a time,
// then the rest by the instruction's 4-, 2- and 1-byte forms. It clobbers SI and CX. A macro
// rather than a function both routines call, because a call of its own costs about as much
// as the loop does on the records' few tens of bytes; its labels are the expanding
// function's own (the assembler scopes labels to a TEXT block).
#define CRC_LOOP \
	CMPQ   CX, $8; \
	JB     tail; \
words: \
	CRC32Q (SI), AX; \
	ADDQ   $8, SI; \
	SUBQ   $8, CX; \
	CMPQ   CX, $8; \
	JAE    words; \
tail: \
	CMPQ   CX, $4; \
	JB     two; \
	CRC32L (SI), AX; \
	ADDQ   $4, SI; \
	SUBQ   $4, CX; \
two: \
	CMPQ   CX, $2; \
	JB     one; \
	CRC32W (SI), AX; \
	ADDQ   $2, SI; \
	SUBQ   $2, CX; \
one: \
	TESTQ  CX, CX; \
	JZ     done; \
	CRC32B (SI), AX; \
done:

// func hasSSE42() bool
TEXT ·hasSSE42(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $20, CX // ECX bit 20: SSE4.2
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func crcUpdateDirect(crc uint32, b []byte) uint32
TEXT ·crcUpdateDirect(SB), NOSPLIT, $0-36
	MOVL crc+0(FP), AX
	MOVQ b_base+8(FP), SI
	MOVQ b_len+16(FP), CX
	NOTL AX
	CRC_LOOP
	NOTL AX
	MOVL AX, ret+32(FP)
	RET

// func putHeaderDirect(rec []byte)
//
// rec is a record, its 12-byte header then its body (at least the header: the caller
// checks). It writes the body's length, the CRC-32C of the length's 4 bytes and the
// CRC-32C of the body into the header.
TEXT ·putHeaderDirect(SB), NOSPLIT, $0-24
	MOVQ rec_base+0(FP), DI
	MOVQ rec_len+8(FP), CX
	SUBQ $12, CX
	MOVL CX, 0(DI)
	MOVL $0xffffffff, AX
	CRC32L CX, AX
	NOTL AX
	MOVL AX, 4(DI)
	LEAQ 12(DI), SI
	MOVL $0xffffffff, AX
	CRC_LOOP
	NOTL AX
	MOVL AX, 8(DI)
	RET

// func appendEntryRecordHeader(buf []byte, term, index int, cmd []byte) (out []byte, length, bodyCRC uint32)
//
// It appends the record of the entry of term, index and cmd to buf in place if the CPU has
// the CRC32 instruction, term is below 0x80, index below 1<<14, cmd shorter than
// crcDirectLimit-4 bytes (the Go constant, from go_asm.h), and buf has the room: the
// 12-byte header, then the body, the kind byte, the term's byte, the index's one or two
// bytes and cmd, folded into the body's CRC as it is stored (8 bytes at a time through a
// register the CRC32 instruction reads too). It returns buf with the record, and the body's
// length and CRC. Anything else it leaves to appendEntryRecordOf, the general encoding, by a
// jump: the two take the same arguments and return the same results, which are where the
// caller put them.
TEXT ·appendEntryRecordHeader(SB), NOSPLIT, $0-96
	CMPB ·haveCRCDirect(SB), $0
	JEQ  general
	MOVQ term+24(FP), R8
	MOVQ index+32(FP), R9
	MOVQ cmd_base+40(FP), SI
	MOVQ cmd_len+48(FP), CX
	CMPQ R8, $0x80
	JAE  general
	CMPQ R9, $0x4000
	JAE  general
	CMPQ CX, $(const_crcDirectLimit-4)
	JAE  general
	LEAQ 3(CX), DX // the body's length, with an index of one byte
	CMPQ R9, $0x80
	JB   sized
	INCQ DX
sized:
	MOVQ buf_base+0(FP), DI
	MOVQ buf_len+8(FP), BX
	MOVQ buf_cap+16(FP), R10
	SUBQ BX, R10 // the room
	LEAQ 12(DX), R12
	CMPQ R10, R12
	JB   general
	MOVQ DI, out_base+64(FP)
	MOVQ buf_cap+16(FP), R10
	MOVQ R10, out_cap+80(FP)
	ADDQ BX, DI // the record
	ADDQ R12, BX
	MOVQ BX, out_len+72(FP)
	MOVQ DI, R11
	MOVL $0xffffffff, AX
	// The kind (1) and the term, as one 16-bit word.
	SHLQ $8, R8
	ORQ  $1, R8
	MOVW R8, 12(DI)
	CRC32W R8, AX
	LEAQ 14(DI), DI
	CMPQ R9, $0x80
	JAE  index2
	MOVB R9, (DI)
	CRC32B R9, AX
	INCQ DI
	JMP  body
index2:
	// Two bytes: the low seven bits with the continuation bit, then the rest.
	MOVQ R9, R10
	SHRQ $7, R10
	ANDQ $0x7f, R9
	ORQ  $0x80, R9
	SHLQ $8, R10
	ORQ  R10, R9
	MOVW R9, (DI)
	CRC32W R9, AX
	ADDQ $2, DI
body:
	CMPQ CX, $8
	JB   tail
words:
	MOVQ (SI), R10
	CRC32Q R10, AX
	MOVQ R10, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	SUBQ $8, CX
	CMPQ CX, $8
	JAE  words
tail:
	CMPQ CX, $4
	JB   two
	MOVL (SI), R10
	CRC32L R10, AX
	MOVL R10, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	SUBQ $4, CX
two:
	CMPQ CX, $2
	JB   one
	MOVW (SI), R10
	CRC32W R10, AX
	MOVW R10, (DI)
	ADDQ $2, SI
	ADDQ $2, DI
	SUBQ $2, CX
one:
	TESTQ CX, CX
	JZ    done
	MOVB (SI), R10
	CRC32B R10, AX
	MOVB R10, (DI)
done:
	NOTL AX
	MOVL DX, 0(R11)
	MOVL $0xffffffff, R10
	CRC32L DX, R10
	NOTL R10
	MOVL R10, 4(R11)
	MOVL AX, 8(R11)
	MOVL DX, length+88(FP)
	MOVL AX, bodyCRC+92(FP)
	RET
general:
	JMP ·appendEntryRecordOf(SB)
